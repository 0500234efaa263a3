import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { changesOf, FlockNames } from '../../src/names/host-names.ts'
import type { EventsHost } from '../../src/flock/follow-events.ts'
import { eventually } from '../support/eventually.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

const created = (id: string, name: string) => ({
  Type: 'container',
  Action: 'create',
  Actor: { ID: id, Attributes: { name } },
})

describe('the name index of a host, fed by its events', () => {
  let engine: FakeEngine
  let host: EventsHost
  let names: FlockNames<EventsHost>
  let reads = 0
  /** Holds the fill's read until released, to tell events during it. */
  let holdRead: Promise<void> | undefined
  before(async () => {
    ;[engine] = await startFakeEngines(1) as [FakeEngine]
    engine.add('a'.repeat(64), 'listed')
    const base = engine.url.replace('tcp://', 'http://')
    host = { request: (method, path, init) => fetch(base + path, { method, signal: init?.signal }) }
    names = new FlockNames<EventsHost>(async (h) => {
      reads++
      const since = Date.now()
      const rows = await (await h.request('GET', '/containers/json?all=1')).json() as {
        Id: string
        Names: string[]
      }[]
      await holdRead
      return { since, containers: rows.map((r) => ({ id: r.Id, names: r.Names.map((n) => n.slice(1)) })) }
    })
  })
  after(async () => {
    names.stop()
    await engine.stop()
  })

  test('not trusted before its stream is up and its names read; then exact', async () => {
    assert.equal(names.freeOn(host, 'anything'), false)
    let release!: () => void
    holdRead = new Promise((resolve) => (release = resolve))
    names.follow([host])
    await eventually(() => assert.equal(reads, 1))
    // Told while the read is under way: applied over what it read.
    engine.emit(created('b'.repeat(64), 'during-fill'))
    engine.emit({
      Type: 'container',
      Action: 'destroy',
      Actor: { ID: 'a'.repeat(64), Attributes: { name: 'listed' } },
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(names.of(host)!.exact, false)
    release()
    await eventually(() => assert.equal(names.of(host)!.exact, true))
    assert.equal(names.freeOn(host, 'during-fill'), false)
    assert.equal(names.freeOn(host, 'listed'), true, 'destroyed during the read')
    assert.equal(names.freeOn(host, 'never-seen'), true)
  })

  test('creates, renames and destroys told by events; own creates at once', async () => {
    engine.emit(created('c'.repeat(64), 'web'))
    await eventually(() => assert.equal(names.freeOn(host, 'web'), false))
    engine.emit({
      Type: 'container',
      Action: 'rename',
      Actor: { ID: 'c'.repeat(64), Attributes: { name: 'web2', oldName: '/web' } },
    })
    await eventually(() => assert.equal(names.freeOn(host, 'web'), true))
    assert.equal(names.freeOn(host, 'web2'), false)
    // A name taken again through flocker is not dropped by a late destroy of its last holder.
    names.of(host)!.took('web2', 'd'.repeat(64))
    engine.emit({
      Type: 'container',
      Action: 'destroy',
      Actor: { ID: 'c'.repeat(64), Attributes: { name: 'web2' } },
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(names.freeOn(host, 'web2'), false)
    // A create the engine refused is forgotten; one whose answer was lost is held until a later read.
    names.of(host)!.took('refused', undefined)
    names.of(host)!.forget('refused')
    assert.equal(names.freeOn(host, 'refused'), true)
    names.of(host)!.took('lost', undefined)
    assert.equal(names.freeOn(host, 'lost'), false)
    names.of(host)!.notShown('lost', Date.now() + 1)
    assert.equal(names.freeOn(host, 'lost'), true)
  })

  test('a stream that ends is not trusted until it is up and read again', async () => {
    const before = reads
    engine.dropEvents()
    await eventually(() => assert.equal(names.of(host)!.exact, false))
    assert.equal(names.freeOn(host, 'never-seen'), false)
    await eventually(() => assert.equal(names.of(host)!.exact, true))
    assert.equal(reads, before + 1)
  })

  test('events that are not a container name change tell nothing', () => {
    assert.deepEqual(
      changesOf({ Type: 'network', Action: 'create', Actor: { ID: 'x', Attributes: { name: 'n' } } }),
      [],
    )
    assert.deepEqual(
      changesOf({ Type: 'container', Action: 'start', Actor: { ID: 'x', Attributes: { name: 'n' } } }),
      [],
    )
  })
})
