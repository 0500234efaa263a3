import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ContainerCache } from '../../src/cache/container-cache.ts'
import { cachedListQuery } from '../../src/cache/container-filters.ts'
import { humanDuration, type StateTimes, statusText } from '../../src/cache/status-text.ts'
import { Flock } from '../../src/flock/flock.ts'
import type { Host } from '../../src/flock/host.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

const S = 1000
const M = 60 * S
const H = 60 * M

describe('Status text as dockerd words it', () => {
  const cases: [number, string][] = [
    [400, 'Less than a second'],
    [1 * S, '1 second'],
    [59 * S, '59 seconds'],
    [90 * S, 'About a minute'],
    [59 * M, '59 minutes'],
    [90 * M, '2 hours'], // go rounds hours
    [80 * M, 'About an hour'],
    [47 * H, '47 hours'],
    [3 * 24 * H, '3 days'],
    [20 * 24 * H, '2 weeks'],
    [90 * 24 * H, '3 months'],
    [800 * 24 * H, '2 years'],
  ]
  for (const [ms, text] of cases) test(`${ms} ms: ${text}`, () => assert.equal(humanDuration(ms), text))

  const base: StateTimes = {
    running: false,
    paused: false,
    restarting: false,
    dead: false,
    removing: false,
    startedAt: 0,
    finishedAt: 0,
    exitCode: 0,
    health: undefined,
  }
  const now = 10 * H
  test('each state', () => {
    assert.equal(statusText(base, now), 'Created')
    assert.equal(statusText({ ...base, running: true, startedAt: now - 5 * M }, now), 'Up 5 minutes')
    assert.equal(
      statusText({ ...base, running: true, paused: true, startedAt: now - 5 * M }, now),
      'Up 5 minutes (Paused)',
    )
    assert.equal(
      statusText({ ...base, running: true, health: 'starting', startedAt: now - 2 * S }, now),
      'Up 2 seconds (health: starting)',
    )
    assert.equal(
      statusText({ ...base, running: true, health: 'healthy', startedAt: now - 2 * S }, now),
      'Up 2 seconds (healthy)',
    )
    assert.equal(
      statusText({ ...base, startedAt: now - 9 * S, finishedAt: now - 2 * S, exitCode: 3 }, now),
      'Exited (3) 2 seconds ago',
    )
    assert.equal(
      statusText({ ...base, running: true, restarting: true, finishedAt: now - 1 * S, exitCode: 1 }, now),
      'Restarting (1) 1 second ago',
    )
    assert.equal(statusText({ ...base, dead: true, startedAt: 1 }, now), 'Dead')
    assert.equal(statusText({ ...base, removing: true }, now), 'Removal In Progress')
  })
})

describe('which list queries the cache answers', () => {
  const query = (search: string) => {
    const params = new URLSearchParams(search)
    const filters = JSON.parse(params.get('filters') ?? '{}') as Record<string, string[]>
    return cachedListQuery(params, filters)
  }
  test('plain, all, limit and the row filters: answered', () => {
    for (const search of ['', 'all=1', 'limit=3', 'all=1&filters={"label":["a=b"],"status":["exited"]}']) {
      assert.ok(query(search), search)
    }
  })
  test('size, before, since, ancestor, ports, bad values: asked live', () => {
    for (
      const search of [
        'size=1',
        'all=1&filters={"before":["x"]}',
        'filters={"since":["x"]}',
        'filters={"ancestor":["busybox"]}',
        'filters={"publish":["80"]}',
        'filters={"status":["sleeping"]}',
        'filters={"health":["fine"]}',
        'limit=abc',
      ]
    ) {
      assert.equal(query(search), undefined, search)
    }
  })
})

describe('the container cache follows a host', () => {
  let engines: FakeEngine[]
  let flock: Flock
  let cache: ContainerCache<Host>
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.ok(check())
  }
  const names = (text: string | undefined) =>
    (JSON.parse(text!) as { Names: string[] }[]).map((c) => c.Names[0])
  before(async () => {
    engines = await startFakeEngines(2)
    engines[0]!.add('aaaa1111', 'web', 1000)
    engines[1]!.add('bbbb2222', 'db', 2000)
    flock = new Flock(detectRuntime(), engines.map((e) => ({ name: e.name, url: e.url })))
    cache = new ContainerCache<Host>({
      render: (row, host) => ({ ...row, Labels: { 'flocker.host': host.name } }),
    })
    cache.follow(flock.all)
  })
  after(async () => {
    cache.stop()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('answers from memory once every host is synced, newest first', async () => {
    await until(() => flock.all.every((h) => cache.fresh(h)))
    assert.deepEqual(names(cache.list(flock.all, new URLSearchParams('all=1'), {})), ['/db', '/web'])
  })

  test('an event makes the host stale until it has resynced, then shows the change', async () => {
    engines[0]!.add('cccc3333', 'api', 3000)
    const host = flock.byName('fake1')!
    engines[0]!.emit({ Type: 'container', Action: 'create', id: 'cccc3333'.padEnd(64, '0') })
    await until(() =>
      !cache.fresh(host) || names(cache.list(flock.all, new URLSearchParams('all=1'), {})).length === 3
    )
    await until(() => cache.fresh(host))
    assert.deepEqual(names(cache.list(flock.all, new URLSearchParams('all=1'), {})), ['/api', '/db', '/web'])
  })

  test('a change made through flocker: not answered from memory until resynced', async () => {
    const host = flock.byName('fake2')!
    engines[1]!.containers.length = 0
    cache.changed(host)
    assert.equal(cache.list(flock.all, new URLSearchParams('all=1'), {}), undefined)
    await until(() => cache.fresh(host))
    assert.deepEqual(names(cache.list(flock.all, new URLSearchParams('all=1'), {})), ['/api', '/web'])
  })

  test('a host whose event stream drops is not answered from memory', async () => {
    const host = flock.byName('fake1')!
    engines[0]!.dropEvents()
    await until(() => !cache.fresh(host))
    assert.equal(cache.list(flock.all, new URLSearchParams('all=1'), {}), undefined)
    await until(() => cache.fresh(host)) // the stream comes back and the host resyncs
  })

  test('name lookups from memory', () => {
    assert.deepEqual(cache.holdersOf(flock.all, 'api')?.map((h) => h.name), ['fake1'])
    assert.deepEqual(cache.holdersOf(flock.all, 'nope'), [])
  })
})
