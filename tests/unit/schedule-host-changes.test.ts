import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import type { EngineEvent } from '../../src/flock/follow-events.ts'
import type { Host } from '../../src/flock/host.ts'
import { hostChanges, listChangedBy } from '../../src/schedule/host-changes.ts'
import { HostReads } from '../../src/schedule/host-reads.ts'
import { PlacementMemory } from '../../src/schedule/memory.ts'
import { createRequest } from '../../src/schedule/request.ts'
import { eventually } from '../support/eventually.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { followed, startFakeFlock } from '../support/fake-flock.ts'

const host = { name: 'h1' } as Host
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

/** A finished `any` read of `kind`, then whether the next `any` read joins it (true) or begins another. */
async function reusedAfter(reads: HostReads, kind: 'containers' | 'images', between: () => void) {
  const first = await reads.read(host, kind, 'any', () => Promise.resolve(1))
  await first.value
  await tick()
  between()
  const next = await reads.read(host, kind, 'any', () => Promise.resolve(2))
  return next === first
}

describe('a finished read stays current while the host events tell no change (HostReads)', () => {
  test('followed and unchanged: reused; without an age allowed, or before the stream is up: not', async () => {
    const reads = new HostReads(60_000)
    reads.followed(host)
    assert.equal(await reusedAfter(reads, 'containers', () => {}), true)
    const unaged = new HostReads()
    unaged.followed(host)
    assert.equal(await reusedAfter(unaged, 'containers', () => {}), false, 'maxAge 0: as before')
    const notFollowed = new HostReads(60_000)
    assert.equal(await reusedAfter(notFollowed, 'containers', () => {}), false)
  })

  test('a read begun before the stream came up is not current', async () => {
    const reads = new HostReads(60_000)
    assert.equal(await reusedAfter(reads, 'containers', () => reads.followed(host)), false)
    // The read begun after it is.
    assert.equal(await reusedAfter(reads, 'containers', () => {}), true)
  })

  test('a change to that list, or the stream going down, ends it; a change to another list does not', async () => {
    const reads = new HostReads(60_000)
    reads.followed(host)
    assert.equal(await reusedAfter(reads, 'containers', () => reads.changed(host, 'images')), true)
    assert.equal(await reusedAfter(reads, 'containers', () => reads.changed(host, 'containers')), false)
    assert.equal(await reusedAfter(reads, 'images', () => reads.unfollowed(host)), false)
  })

  test('no older than maxAge', async () => {
    // An age a loaded machine cannot outlast between two reads a tick apart (20 ms failed at load 40).
    const reads = new HostReads(1000)
    reads.followed(host)
    assert.equal(await reusedAfter(reads, 'containers', () => {}), true)
    const first = await reads.read(host, 'containers', 'any', () => Promise.resolve(1))
    await new Promise((resolve) => setTimeout(resolve, 1050))
    assert.notEqual(await reads.read(host, 'containers', 'any', () => Promise.resolve(2)), first)
  })

  test('a read in flight is joined and an `after` mark still needs a newer read, as before', async () => {
    const reads = new HostReads(60_000)
    reads.followed(host)
    const first = await reads.read(host, 'containers', 'any', () => Promise.resolve(1))
    await first.value
    await tick()
    const mark = reads.mark()
    const fresh = await reads.read(host, 'containers', { after: mark }, () => Promise.resolve(2))
    assert.notEqual(fresh, first)
    assert.ok(fresh.seq > mark)
  })
})

describe('which events change which list (hostChanges)', () => {
  const event = (Type: string, Action: string, ID = 'f'.repeat(64), name?: string): EngineEvent => ({
    Type,
    Action,
    Actor: { ID, Attributes: name ? { name } : {} },
  })

  test('lists by event', () => {
    assert.equal(listChangedBy(event('container', 'create')), 'containers')
    assert.equal(listChangedBy(event('container', 'die')), 'containers')
    assert.equal(listChangedBy(event('container', 'commit')), 'images')
    assert.equal(listChangedBy(event('image', 'tag')), 'images')
    assert.equal(listChangedBy(event('volume', 'create')), 'volumes')
    assert.equal(listChangedBy(event('network', 'destroy')), 'networks')
    for (const quiet of ['exec_start', 'exec_die', 'attach', 'resize', 'top', 'archive-path']) {
      assert.equal(listChangedBy(event('container', quiet)), undefined, quiet)
    }
    assert.equal(listChangedBy(event('volume', 'mount')), undefined)
    assert.equal(listChangedBy(event('network', 'connect')), undefined)
  })

  test("this process's own creates are not changes; a create on the engine directly is", () => {
    const memory = new PlacementMemory()
    const changed: string[] = []
    memory.reads.changed = (_host, kind) => void changed.push(kind)
    const watch = hostChanges(memory)(host)
    const other = { name: 'h2' } as Host
    const done = memory.placed(host, createRequest('web', { Image: 'busybox' }).request)
    // The engine's event may come before its answer: the name of a placement on its way is its own.
    watch.event(event('container', 'create', 'a'.repeat(64), 'web'))
    assert.deepEqual(changed, [])
    hostChanges(memory)(other).event(event('container', 'create', 'a'.repeat(64), 'web'))
    assert.deepEqual(changed, ['containers'], 'the same name on another host is not this placement')
    changed.length = 0
    done('a'.repeat(64))
    // Answered: only the container it made (by ID) is its own.
    watch.event(event('container', 'create', 'a'.repeat(64), 'web'))
    assert.deepEqual(changed, [])
    watch.event(event('container', 'create', 'b'.repeat(64), 'web'))
    assert.deepEqual(
      changed,
      ['containers'],
      'a container of that name made directly, once this one is answered',
    )
    watch.event(event('container', 'start', 'a'.repeat(64), 'web'))
    watch.event(event('image', 'pull'))
    watch.event(event('container', 'exec_start', 'a'.repeat(64), 'web'))
    assert.deepEqual(changed, ['containers', 'containers', 'images'])
  })
})

describe('creates in a row read each host once while its events tell no change', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    // The name index's stream and reads alone (the list cache has a stream and reads of its own).
    ;({ engines, app, stop } = await startFakeFlock(2, () => {}, { listCache: false }))
    // The name index's streams are up and filled (its fill is the first read of each host's containers;
    // a fill that failed on a starved machine is read again, so there may be more than one).
    await followed(app, engines)
    assert.ok(
      engines.every((e) => listReads(e) >= 1 && e.eventStreams === 1),
      JSON.stringify(engines.map((e) => [e.eventStreams, e.requests])),
    )
  })
  after(() => stop())

  const listReads = (engine: FakeEngine) =>
    engine.requests.filter((r) => r.startsWith('GET /containers/json')).length
  const create = async (name: string) => {
    const response = await app.fetch(
      new Request(`http://flocker/v1.41/containers/create?name=${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Image: 'busybox:local' }),
      }),
      {},
    )
    assert.equal(response.status, 201, await response.clone().text())
    const inspect = await (await app.fetch(new Request(`http://flocker/v1.41/containers/${name}/json`), {}))
      .json()
    return (inspect as { Node: { Name: string } }).Node.Name
  }

  test('own creates keep the reads current and are counted; a direct create is seen once its event is in', async () => {
    const before = engines.map(listReads)
    // Spread: each create counts the ones before it although no host's list is read again.
    assert.deepEqual([await create('w1'), await create('w2'), await create('w3'), await create('w4')], [
      'fake1',
      'fake2',
      'fake1',
      'fake2',
    ])
    assert.deepEqual(engines.map(listReads), before, 'the fill reads served every placement')
    // Two containers made on fake1 directly: its next placement reads it again and sees them.
    engines[0]!.add('d1', 'direct1', undefined, 'running')
    engines[0]!.add('d2', 'direct2', undefined, 'running')
    await eventually(async () => {
      assert.equal(await create(`w5-${engines[0]!.containers.length}`), 'fake2')
    })
    assert.deepEqual(engines.map(listReads), [before[0]! + 1, before[1]!])
  })

  test('a host whose stream is down is read for every placement', async () => {
    engines[1]!.refuseEvents = true
    engines[1]!.dropEvents()
    let attempt = 0
    const before = listReads(engines[1]!)
    await eventually(async () => {
      await create(`after-drop-${attempt++}`)
      assert.ok(listReads(engines[1]!) > before)
    })
    const now = listReads(engines[1]!)
    await create('after-drop-again')
    assert.equal(listReads(engines[1]!), now + 1)
  })
})
