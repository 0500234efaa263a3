import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ContainerCache } from '../../src/cache/container-cache.ts'
import type { ContainerRow, FeedHost } from '../../src/cache/host-feed.ts'
import { readPlan } from '../../src/cache/list-plans.ts'
import { ReadLane } from '../../src/cache/read-lane.ts'
import { Flock } from '../../src/flock/flock.ts'
import type { Host } from '../../src/flock/host.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (up to `tries` × 10 ms) for `check`, then asserts it. */
async function until(check: () => boolean, tries = 300): Promise<void> {
  for (let i = 0; i < tries && !check(); i++) await sleep(10)
  assert.ok(check())
}

function listAll<H extends FeedHost>(cache: ContainerCache<H>, hosts: readonly H[]): string[] | undefined {
  const plan = readPlan(new URLSearchParams('all=1'), () => false)
  const body = cache.listOf(hosts, plan.rows!, plan.key)
  return body && (JSON.parse(new TextDecoder().decode(body)) as ContainerRow[]).map((row) => row.Names![0]!)
}

describe('a read lane', () => {
  test('runs at most its width at once, the waiting ones in the order they came', async () => {
    const lane = new ReadLane(3)
    let running = 0
    let most = 0
    const order: number[] = []
    await Promise.all(Array.from({ length: 10 }, (_, i) =>
      lane.run(async () => {
        most = Math.max(most, ++running)
        order.push(i)
        await sleep(1)
        running--
      })))
    assert.equal(most, 3)
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepEqual(lane.load, { running: 0, waiting: 0 })
  })

  test('waiting reads go by rank, then in the order they came: resyncs begun first finish first', async () => {
    const lane = new ReadLane(1)
    const [first, second] = [lane.rank(), lane.rank()]
    const order: string[] = []
    const read = (name: string, rank: number) =>
      lane.run(async () => {
        order.push(name)
        await sleep(1)
      }, rank)
    // The first resync's inspects come after the second's list: they still go first.
    const reads = [read('list 1', first), read('list 2', second), read('inspect 1a', first)]
    reads.push(read('inspect 2a', second), read('inspect 1b', first))
    await Promise.all(reads)
    assert.deepEqual(order, ['list 1', 'inspect 1a', 'inspect 1b', 'list 2', 'inspect 2a'])
    assert.deepEqual(lane.load, { running: 0, waiting: 0 })
  })

  test('a read that fails gives its slot on', async () => {
    const lane = new ReadLane(1)
    await assert.rejects(lane.run(() => Promise.reject(new Error('cut'))), /cut/)
    assert.equal(await lane.run(() => Promise.resolve(7)), 7)
  })
})

/**
 * A host of `containers` rows whose events stream stays open and quiet; counts the list cache's
 * reads (lists, inspects) on their way at once, over every host made by the same counter.
 */
function quietHost(name: string, containers: number, reads: { now: number; most: number }): FeedHost {
  const rows = Array.from({ length: containers }, (_, i) => ({
    Id: `${name}x${i}x`.padEnd(64, '0'),
    Names: [`/${name}-c${i}`],
    Created: 1_764_000_000 + i,
    State: 'running',
  }))
  return {
    name,
    request: () => Promise.resolve(new Response(new ReadableStream({ start: () => {} }))),
    async json<T>(path: string): Promise<T> {
      reads.most = Math.max(reads.most, ++reads.now)
      await sleep(1)
      reads.now--
      if (path.startsWith('/containers/json')) return rows as T
      const id = /\/containers\/([^/]+)\/json/.exec(path)![1]!
      return { Name: rows.find((row) => row.Id === id)!.Names[0], Created: '2025-11-24T16:00:00Z' } as T
    },
  }
}

describe("the list cache's first sync of a large flock", () => {
  test('sends the engines at most `concurrentReads` reads at once, over every host', async () => {
    // 50 hosts of 20 rows: 4 inspects per host at once made 200 together, ahead of any client's request.
    const reads = { now: 0, most: 0 }
    const hosts = Array.from({ length: 50 }, (_, i) => quietHost(`h${i}`, 20, reads))
    const cache = new ContainerCache<FeedHost>({ render: (row) => row, concurrentReads: 8 })
    cache.follow(hosts)
    try {
      await until(() => listAll(cache, hosts) !== undefined, 1000)
      assert.equal(listAll(cache, hosts)!.length, 1000)
      assert.ok(reads.most <= 8, `${reads.most} reads at once`)
    } finally {
      cache.stop()
    }
  })
})

describe('a resync whose inspect fails (not a 404) on a quiet host', () => {
  let engine: FakeEngine
  let flock: Flock
  let cache: ContainerCache<Host>
  before(async () => {
    ;[engine] = await startFakeEngines(1) as [FakeEngine]
    engine.add('aaaa1111', 'web', 1000).inspectStatus = 500
    flock = new Flock(detectRuntime(), [{ name: engine.name, url: engine.url }])
    cache = new ContainerCache<Host>({ render: (row) => row })
    cache.follow(flock.all)
  })
  after(async () => {
    cache.stop()
    await engine.stop()
  })

  test('is not answered from memory without that container, and is read again with no event', async () => {
    const inspects = () =>
      engine.requests.filter((path) => /^GET \/containers\/aaaa1111\w*\/json/.test(path)).length
    // Left out as if gone, the list from memory was exact for ever and empty.
    await until(() => inspects() >= 2)
    assert.equal(listAll(cache, flock.all), undefined)
    engine.containers[0]!.inspectStatus = undefined
    await until(() => listAll(cache, flock.all)?.join() === '/web')
  })
})
