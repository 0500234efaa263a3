import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import { createRequest } from '../../src/schedule/request.ts'
import type { Host } from '../../src/flock/host.ts'
import { PlacementMemory } from '../../src/schedule/memory.ts'
import { place, type Placement } from '../../src/schedule/scheduler.ts'
import { MemoryStore } from '../../src/store/memory-store.ts'
import { SharedPlacements } from '../../src/store/placements.ts'
import type { SharedStore, StoreAccess } from '../../src/store/shared-store.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { startFakeFlock } from '../support/fake-flock.ts'

/** A replica's access to a store the test shares between two replicas. */
const replica = (store: SharedStore, name: string): StoreAccess => ({
  replica: name,
  shared: true,
  run: (operation) => operation(store),
})

/** The fake engine's MemTotal is 1024 bytes: a 768-byte reservation leaves room for no 512-byte one. */
const request = (name: string) =>
  createRequest(name, { Image: 'busybox:local', HostConfig: { Memory: 512 } }).request

describe('in-flight placements of another replica, against what the engine lists', () => {
  let engine: FakeEngine
  let app: FlockerApp
  let stop: () => Promise<void>
  let store: MemoryStore
  let placement: Placement

  before(async () => {
    const flock = await startFakeFlock(1)
    ;[engine] = flock.engines as [FakeEngine]
    ;({ app, stop } = flock)
    await app.checkHosts()
  })
  after(() => stop())

  const otherReplicaPlaces = (name: string) =>
    new SharedPlacements(replica(store, 'a')).record({
      host: 'fake1',
      name,
      image: 'busybox:local',
      labels: {},
      resources: { memory: 768, cpus: 0, hostPorts: [] },
    }, true)

  const setUp = () => {
    engine.containers = []
    store = new MemoryStore()
    placement = {
      flock: app.flock,
      memory: new PlacementMemory(),
      shared: new SharedPlacements(replica(store, 'b')),
      hooks: {},
      strategy: 'binpack',
      hostTimeout: 5_000,
    }
  }

  test('listed but not yet inspectable (dockerd mid-create): its in-flight reservation still counts', async () => {
    setUp()
    await otherReplicaPlaces('web1')
    engine.add('c1', 'web1', undefined, 'created').inspectStatus = 404
    await assert.rejects(place(placement, request('web2')), /no host can take/)
  })

  test('listed and inspected: counted once, from the engine', async () => {
    setUp()
    await otherReplicaPlaces('web1')
    engine.add('c1', 'web1', undefined, 'created').HostConfig = { Memory: 256 }
    const { host, done } = await place(placement, request('web2'))
    assert.equal(host.name, 'fake1')
    done()
  })

  test('a container whose reservations cannot be read (500) leaves its host out of a reserving create', async () => {
    setUp()
    engine.add('c1', 'web1', undefined, 'created').inspectStatus = 500
    await assert.rejects(place(placement, request('web2')), /reservations unknown/)
  })
})

describe("this replica's placements, by host and by time answered", () => {
  const [h1, h2] = [{ name: 'h1' }, { name: 'h2' }] as [Host, Host]
  const names = (list: readonly { names: readonly string[] }[]) => list.map((c) => c.names[0]).join()
  test('a read sees those on their way and those answered since it began; a minute on, none', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
    const memory = new PlacementMemory()
    const answer = (host: Host, name: string, id?: string) => memory.placed(host, request(name))(id)
    answer(h1, 'a', 'a'.repeat(64))
    t.mock.timers.tick(10)
    const readBegan = Date.now()
    answer(h1, 'b', 'b'.repeat(64))
    const onTheWay = memory.placed(h1, request('c'))
    memory.placed(h2, request('d'))
    assert.equal(names(memory.placedOn(h1, readBegan)), 'b,c')
    assert.equal(names(memory.placedOn(h1, 0)), 'a,b,c')
    assert.equal(names(memory.placedOn(h2, readBegan)), 'd')
    assert.ok(memory.isOwnCreate(h1, 'a'.repeat(64), 'a'), 'answered: by its ID')
    assert.ok(!memory.isOwnCreate(h2, 'a'.repeat(64), 'a'), 'on its own host only')
    assert.ok(memory.isOwnCreate(h1, 'c'.repeat(64), 'c'), 'on its way: by its name')
    assert.ok(!memory.isOwnCreate(h1, 'e'.repeat(64), 'b'), 'answered: not by its name')
    onTheWay('c'.repeat(64))
    t.mock.timers.tick(60_000)
    assert.equal(names(memory.placedOn(h1, 0)), 'b,c', 'forgotten a minute after their answer')
    assert.ok(!memory.isOwnCreate(h1, 'a'.repeat(64), 'a'))
    assert.ok(memory.isOwnCreate(h1, 'c'.repeat(64), 'c'))
    t.mock.timers.tick(1)
    assert.equal(names(memory.placedOn(h1, 0)), '')
    assert.ok(!memory.isOwnCreate(h1, 'c'.repeat(64), 'c'))
  })
})
