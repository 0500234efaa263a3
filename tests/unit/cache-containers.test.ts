import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { ContainerCache } from '../../src/cache/container-cache.ts'
import { cachedListQuery } from '../../src/cache/container-filters.ts'
import type { CachedRow } from '../../src/cache/host-feed.ts'
import { ListAnswers, listBody } from '../../src/cache/list-answers.ts'
import { readPlan } from '../../src/cache/list-plans.ts'
import {
  humanDuration,
  humanDurationStableFor,
  type StateTimes,
  statusStableFor,
  statusText,
} from '../../src/cache/status-text.ts'
import { Flock } from '../../src/flock/flock.ts'
import type { Host } from '../../src/flock/host.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

const S = 1000
const M = 60 * S
const H = 60 * M
const DAY = 24 * H

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
  /** Hosts the health checks do not vouch for now (a frozen engine, a failed ping). */
  const distrusted = new Set<Host>()
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.ok(check())
  }
  const names = (body: Uint8Array | undefined) =>
    (JSON.parse(new TextDecoder().decode(body!)) as { Names: string[] }[]).map((c) => c.Names[0])
  /** The names listed from memory, comma-separated, or undefined while some host is stale. */
  const listed = () => {
    const body = listAll(cache, flock.all)
    return body && names(body).join()
  }
  before(async () => {
    engines = await startFakeEngines(2)
    engines[0]!.add('aaaa1111', 'web', 1000)
    engines[1]!.add('bbbb2222', 'db', 2000)
    flock = new Flock(detectRuntime(), engines.map((e) => ({ name: e.name, url: e.url })))
    cache = new ContainerCache<Host>({
      render: (row, host) => ({ ...row, Labels: { 'flocker.host': host.name } }),
      trusts: (host) => !distrusted.has(host),
    })
    cache.follow(flock.all)
  })
  after(async () => {
    cache.stop()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('answers from memory once every host is synced, newest first', async () => {
    await until(() => listed() === '/db,/web')
  })

  test('an event makes the host stale until it has resynced, then shows the change', async () => {
    engines[0]!.add('cccc3333', 'api', 3000)
    const host = flock.byName('fake1')!
    engines[0]!.emit({ Type: 'container', Action: 'create', id: 'cccc3333'.padEnd(64, '0') })
    await until(() => !cache.fresh(host) || names(listAll(cache, flock.all)).length === 3)
    await until(() => listed() === '/api,/db,/web')
  })

  test('a change made through flocker: not answered from memory until resynced', async () => {
    const host = flock.byName('fake2')!
    engines[1]!.containers.length = 0
    cache.changed(host)
    assert.equal(listAll(cache, flock.all), undefined)
    await until(() => listed() === '/api,/web')
  })

  test('an event dockerd sends before its list shows the change: looked at again', async () => {
    const host = flock.byName('fake1')!
    const lists = () => engines[0]!.requests.filter((path) => path.includes('/containers/json')).length
    const before = lists()
    engines[0]!.emit({ Type: 'container', Action: 'die', id: 'cccc3333'.padEnd(64, '0') })
    await until(() => lists() > before && cache.fresh(host)) // the event's own resync is done
    engines[0]!.add('dddd4444', 'late', 4000) // the list shows it only now, with no event of its own
    await until(() => listed() === '/late,/api,/web')
  })

  test('a host whose event stream drops is not answered from memory', async () => {
    const host = flock.byName('fake1')!
    engines[0]!.dropEvents()
    await until(() => !cache.fresh(host))
    assert.equal(listAll(cache, flock.all), undefined)
    await until(() => cache.fresh(host)) // the stream comes back and the host resyncs
  })

  test('a host its health checks do not vouch for is answered live, its stream up or not', async () => {
    const host = flock.byName('fake2')!
    await until(() => listed() !== undefined)
    distrusted.add(host)
    assert.equal(cache.fresh(host), false)
    assert.equal(listAll(cache, flock.all), undefined)
    assert.equal(cache.holdersOf(flock.all, 'web'), undefined, 'no exact owners either')
    assert.equal(cache.inspectWindow(host), undefined, 'nor kept inspects')
    // The other host alone is still answered from memory.
    assert.ok(listAll(cache, [flock.byName('fake1')!]))
    distrusted.delete(host)
    assert.ok(cache.inspectWindow(host))
    assert.equal(listed(), '/late,/api,/web')
  })

  test('a list that fails on a second look makes the host stale until a resync succeeds', async () => {
    const host = flock.byName('fake1')!
    const lists = () => engines[0]!.requests.filter((path) => path.includes('/containers/json')).length
    let before = lists()
    engines[0]!.emit({ Type: 'container', Action: 'die', id: 'dddd4444'.padEnd(64, '0') })
    await until(() => lists() > before && cache.fresh(host)) // the event's own resync is done
    before = lists()
    engines[0]!.failWith = 500 // the second look (200 ms on) gets an error, as a garbled list would
    await until(() => lists() > before)
    await until(() => !cache.fresh(host))
    engines[0]!.failWith = null
    engines[0]!.emit({ Type: 'container', Action: 'start', id: 'dddd4444'.padEnd(64, '0') })
    await until(() => cache.fresh(host))
  })

  test('name lookups from memory', () => {
    assert.deepEqual(cache.holdersOf(flock.all, 'api')?.map((h) => h.name), ['fake1'])
    assert.deepEqual(cache.holdersOf(flock.all, 'nope'), [])
  })
})

describe('a burst of changes on a host (20 creates at once)', () => {
  let engine: FakeEngine
  let flock: Flock
  let cache: ContainerCache<Host>
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 300 && !check(); i++) await sleep(10)
    assert.ok(check())
  }
  const lists = () => engine.requests.filter((path) => path.startsWith('GET /containers/json')).length
  const listed = () => {
    const body = listAll(cache, flock.all)
    return body && (JSON.parse(new TextDecoder().decode(body)) as unknown[]).length
  }
  before(async () => {
    ;[engine] = await startFakeEngines(1) as [FakeEngine]
    flock = new Flock(detectRuntime(), [{ name: engine.name, url: engine.url }])
    cache = new ContainerCache<Host>({ render: (row) => row })
    cache.follow(flock.all)
    await until(() => listed() === 0)
  })
  after(async () => {
    cache.stop()
    await engine.stop()
  })

  test('is read again once it settles, not once per write and event; then answered from memory', async () => {
    const host = flock.all[0]!
    const before = lists()
    for (let i = 0; i < 20; i++) {
      // Each create tells the cache twice: its write when answered, and its create event.
      await host.whole(await host.request('POST', `/v1.41/containers/create?name=burst-${i}`))
      assert.equal(listed(), undefined, 'a host changed through flocker is asked live')
      await sleep(5)
    }
    await until(() => listed() === 20)
    await sleep(1200) // the second looks, a second after the events
    // A resync per change (about 20 lists), then two looks per event (40 more), made 50 or more.
    const read = lists() - before
    assert.ok(read <= 10, `${read} lists for a burst of 20 creates`)
  })

  test('is not read while a create flocker sent there is still on its way', async () => {
    const host = flock.all[0]!
    engine.delay = 300 // each create answered 300 ms after it was sent, one sent every 150 ms
    try {
      const before = lists()
      let onTheWay = 0
      let readMeanwhile = 0
      const counting = setInterval(() => onTheWay && (readMeanwhile = lists() - before), 5)
      await Promise.all(Array.from({ length: 5 }, async (_, i) => {
        await sleep(150 * i)
        onTheWay++
        await host.whole(await host.request('POST', `/v1.41/containers/create?name=slow-${i}`))
        onTheWay--
      })).finally(() => clearInterval(counting))
      // The answers come 150 ms apart, longer than the quiet time: each would have been read after.
      assert.equal(readMeanwhile, 0, 'lists sent while a create was on its way')
      await until(() => listed() === 25)
    } finally {
      engine.delay = 0
    }
  })

  test('a signal that outlives its requests (a feed keeps one per host) keeps no listener of theirs', async () => {
    const host = flock.all[0]!
    const feed = new AbortController()
    for (let i = 0; i < 30; i++) await host.json('/containers/json?all=1', { signal: feed.signal })
    await host.json('/containers/nope/json', { signal: feed.signal }).catch(() => {})
    // Each left one before: a leak, and every later add walked them all.
    assert.equal(getEventListeners(feed.signal, 'abort').length, 0)
    // A streamed answer still follows the caller's abort until it is over.
    const events = await host.request('GET', '/events', { signal: feed.signal })
    assert.equal(getEventListeners(feed.signal, 'abort').length, 1)
    feed.abort()
    await events.body?.cancel().catch(() => {})
  })

  test('the last event of a burst is still looked at again (dockerd lists some changes late)', async () => {
    for (let i = 0; i < 5; i++) {
      engine.emit({ Type: 'container', Action: 'die', id: engine.containers[i]!.Id })
      await sleep(5)
    }
    await until(() => listed() === 25)
    // Listed only now, with no event of its own.
    engine.containers.push({ Id: 'eeee5555'.padEnd(64, '0'), Names: ['/late'], Created: 1, State: 'exited' })
    await until(() => listed() === 26)
  })

  test('creates and removals flocker sent are read once settled, never looked at again', async () => {
    const host = flock.all[0]!
    await sleep(1200) // the earlier tests' second looks are over
    const burst = async (send: (i: number) => Promise<Response>) => {
      await Promise.all(Array.from({ length: 10 }, async (_, i) => await (await send(i)).arrayBuffer()))
      await until(() => listed() === engine.containers.length)
      const read = lists()
      await sleep(1200) // a look would come 200 ms and a second after the events
      // dockerd lists a create or a removal before it tells the event and answers: the settled
      // resync shows it. Its events may come after that resync began: one more, at most.
      assert.ok(lists() - read <= 1, `${lists() - read} lists after the burst was read`)
    }
    await burst((i) => host.request('POST', `/v1.41/containers/create?name=own-${i}`))
    await burst((i) => host.request('DELETE', `/v1.41/containers/own-${i}?force=1`))
  })

  test('a create on the engine directly is still looked at again', async () => {
    engine.add('ffff6666', 'direct')
    await until(() => listed() === engine.containers.length)
    // Listed only now, with no event of its own.
    engine.containers.push({ Id: 'abab7777'.padEnd(64, '0'), Names: ['/later'], Created: 1, State: 'exited' })
    await until(() => listed() === engine.containers.length)
  })

  test('is not read while a create flocker handles has not yet been sent to any host', async () => {
    const host = flock.all[0]!
    const before = lists()
    const placing = flock.createsBeingPlaced
    placing.count++ // a create of the burst still in its name check or placement
    try {
      await host.whole(await host.request('POST', '/v1.41/containers/create?name=placing-0'))
      await sleep(300) // longer than the quiet time: without the create being placed, read meanwhile
      assert.equal(lists(), before, 'lists sent while a create was being placed')
    } finally {
      placing.count--
    }
    await until(() => listed() === engine.containers.length)
  })

  test("docker exec's create and resize change no row: still answered from memory, no list read", async () => {
    const host = flock.all[0]!
    await until(() => listed() === engine.containers.length)
    await sleep(1200) // the earlier tests' second looks, a second after their events
    const before = lists()
    const id = engine.containers[0]!.Id
    for (const path of [`/v1.41/containers/${id}/exec`, `/v1.41/containers/${id}/resize?h=40&w=80`]) {
      await host.whole(await host.request('POST', path))
      assert.equal(listed(), engine.containers.length, `${path}: the host stays fresh`)
    }
    await sleep(300) // longer than the quiet time after a change
    assert.equal(lists(), before, 'lists sent after an exec create')
    // A write to the container itself still makes the host stale.
    await host.whole(await host.request('POST', `/v1.41/containers/${id}/stop`))
    assert.equal(listed(), undefined)
    await until(() => listed() === engine.containers.length)
  })
})

/** Deterministic spread of elapsed times from under a second to years. */
function* elapsedTimes(): Generator<number> {
  let seed = 7
  for (let i = 0; i < 4000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    const scale = [S, 60 * S, H, DAY, 30 * DAY, 3 * 365 * DAY][i % 6]!
    yield Math.floor((seed / 2 ** 31) * scale * 2) - 50
  }
  yield* [0, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, 5_399_999, 5_400_000, 2 * 365 * DAY]
}

describe('how long a Status text stands', () => {
  test('humanDuration reads the same over the whole span it is said to stand', () => {
    for (const ms of elapsedTimes()) {
      const stable = humanDurationStableFor(ms)
      assert.ok(stable >= 1, `${ms}`)
      for (const later of [1, stable / 2, stable - 1].map(Math.floor).filter((d) => d >= 0 && d < stable)) {
        assert.equal(humanDuration(ms + later), humanDuration(ms), `${ms} + ${later} of ${stable}`)
      }
    }
  })
  test('under a minute it turns with the second, under an hour with the minute', () => {
    assert.equal(humanDurationStableFor(2_400), 600)
    assert.equal(humanDurationStableFor(125_000), 55_000)
  })
  test('a Status with no clock stands for ever; running and exited ones follow their times', () => {
    const now = 100 * DAY
    assert.equal(statusStableFor(base, now), Infinity) // Created
    assert.equal(statusStableFor({ ...base, dead: true, startedAt: 1 }, now), Infinity)
    const exited = { ...base, startedAt: now - 9 * S, finishedAt: now - 2_300 }
    assert.equal(statusStableFor(exited, now), 700)
    assert.equal(statusText(exited, now + 699), statusText(exited, now))
    const restarting = {
      ...base,
      running: true,
      restarting: true,
      startedAt: now - 50 * S,
      finishedAt: now - 1_100,
    }
    assert.equal(statusStableFor(restarting, now), 900)
  })
})

function row(json: Record<string, unknown>, status: Partial<StateTimes>, created: number): CachedRow {
  const [before, after] = JSON.stringify({ ...json, Status: '\0hole' }).split('"\\u0000hole"')
  const head = new TextEncoder().encode(before)
  const tail = new TextEncoder().encode(after)
  const bytes = new Uint8Array(head.length + tail.length)
  bytes.set(head)
  bytes.set(tail, head.length)
  const fields = {
    id: String(json.Id),
    name: '',
    state: 'running',
    labels: {},
    networks: [],
    mountNames: [],
    mountDestinations: [],
    times: { ...base, running: true, ...status },
  }
  return { fields, created, createdNanos: 0, bytes, hole: head.length }
}

describe('a list answer in one buffer', () => {
  const now = 10 * DAY
  const rows = [
    row({ Id: 'a', Labels: { note: 'café ☕' }, Names: ['/a'] }, { startedAt: now - 2_500 }, 2),
    row({ Id: 'b', Names: ['/b'] }, { running: false }, 1),
  ]
  test('every row with its Status as worded now, UTF-8 kept', () => {
    const { body, until } = listBody(rows, now)
    assert.deepEqual(JSON.parse(new TextDecoder().decode(body)), [
      { Id: 'a', Labels: { note: 'café ☕' }, Names: ['/a'], Status: 'Up 2 seconds' },
      { Id: 'b', Names: ['/b'], Status: 'Created' },
    ])
    assert.equal(until, now + 500)
  })
  test('no rows: []', () => {
    assert.equal(new TextDecoder().decode(listBody([], now).body), '[]')
  })
  test('rebuilt as young rows turn their seconds, each Status as worded then, the clock going back too', () => {
    const young = Array.from(
      { length: 5 },
      (_, i) => row({ Id: `y${i}` }, { startedAt: now - 3 * S - i * 170 }, 1),
    )
    const statuses = (at: number) =>
      (JSON.parse(new TextDecoder().decode(listBody(young, at).body)) as { Status: string }[]).map((r) =>
        r.Status
      )
    for (const at of [now, now + 100, now + 900, now + 2 * S, now + 61 * S, now + 500, now - 2 * S]) {
      const { until } = listBody(young, at)
      assert.deepEqual(statuses(at), young.map((r) => statusText(r.fields.times, at)), `at ${at - now}`)
      assert.equal(
        until,
        Math.min(...young.map((r) => at + statusStableFor(r.fields.times, at))),
        `until, at ${at - now}`,
      )
    }
  })
})

describe('kept answers', () => {
  const feed = { version: 1 }
  const body = new Uint8Array([0x5b, 0x5d])
  test('given again while the sources and the clock allow, not after', () => {
    const answers = new ListAnswers()
    answers.put('k', [feed], body, 1000, 2000)
    assert.equal(answers.get('k', [feed], 1500), body)
    assert.equal(answers.get('k', [{ version: 1 }], 1500), undefined) // another feed
    answers.put('k', [feed], body, 1000, 2000)
    assert.equal(answers.get('k', [feed], 2000), undefined) // a Status has turned
    answers.put('k', [feed], body, 1000, 2000)
    assert.equal(answers.get('k', [feed], 999), undefined) // the clock went back
    answers.put('k', [feed], body, 1000, 2000)
    feed.version++
    assert.equal(answers.get('k', [feed], 1500), undefined) // the rows changed
    assert.equal(answers.bytes, 0)
  })
  test('bounded in count, the newest kept', () => {
    const answers = new ListAnswers()
    for (let i = 0; i < 40; i++) answers.put(`k${i}`, [feed], body, 0, Infinity)
    assert.equal(answers.bytes, 16 * body.length)
    assert.equal(answers.get('k39', [feed], 1), body)
    assert.equal(answers.get('k0', [feed], 1), undefined)
  })
})

/** `ps -a` from the cache, planned as the list route plans it (list-plans.ts). */
function listAll(cache: ContainerCache<Host>, hosts: readonly Host[]): Uint8Array | undefined {
  const plan = readPlan(new URLSearchParams('all=1'), () => false)
  return cache.listOf(hosts, plan.rows!, plan.key)
}
