import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CachedRow } from '../../src/cache/host-feed.ts'
import { CreationTimes, newestFirst } from '../../src/flock/created-order.ts'
import { type ListedRow, mergeNewestFirst, type RowsFromMemory } from '../../src/routes/kinds/merged-order.ts'

/** A row from memory: only its time and ID are read by the merge. */
const cachedRow = (id: string, created: number, createdNanos = 0) =>
  ({ fields: { id }, created, createdNanos }) as unknown as CachedRow

/** Rows from memory as the list cache hands them: newest first, by nanoseconds, hosts in order on a tie. */
function fromMemory(byHost: [string, CachedRow[]][]): RowsFromMemory<string> {
  const flat = byHost.flatMap(([host, rows]) => rows.map((row) => ({ host, row })))
  flat.sort((a, b) => b.row.created - a.row.created || b.row.createdNanos - a.row.createdNanos)
  return { rows: flat.map(({ row }) => row), owners: flat.map(({ host }) => host) }
}

const listed = (host: string, id: string, Created: number): ListedRow<string> => ({
  host,
  item: { Id: id, Created },
})
const idOf = (row: CachedRow | ListedRow<string>) => 'item' in row ? row.item.Id : row.fields.id
const HOSTS = ['h0', 'h1', 'h2', 'h3', 'h4']

test('a second tied across memory and live rows: by nanoseconds, equal ones in flock order, limited', async () => {
  // h0 and h2 from memory, h1 asked live: all three made a container in second 100.
  const memory = fromMemory([['h0', [cachedRow('m0', 100, 5), cachedRow('m0old', 90)]], [
    'h2',
    [cachedRow('m2', 100, 5), cachedRow('m2new', 200)],
  ]])
  const nanos: Record<string, bigint> = { l1: 100_000_000_005n, l1b: 100_000_000_007n }
  const asked: string[] = []
  const merge = (limit: number, live = [listed('h1', 'l1b', 100), listed('h1', 'l1', 100)]) =>
    mergeNewestFirst(memory, live, [], {
      position: (host) => HOSTS.indexOf(host),
      createdNanos: (entry) => {
        asked.push(String(entry.item.Id))
        return Promise.resolve(nanos[String(entry.item.Id)])
      },
      times: new CreationTimes(0),
      limit,
    })
  // l1b is newest in the second; l1 ties m0 and m2 to the nanosecond: h0, h1, h2 as the flock lists them.
  assert.deepEqual((await merge(0)).map(idOf), ['m2new', 'l1b', 'm0', 'l1', 'm2', 'm0old'])
  assert.deepEqual((await merge(4)).map(idOf), ['m2new', 'l1b', 'm0', 'l1'])
  // Nothing past the limit is inspected: a second that starts after it is not looked at.
  asked.length = 0
  assert.deepEqual((await merge(1)).map(idOf), ['m2new'])
  assert.deepEqual(asked, [])
  // A time that cannot be read: that second stays in flock order (h0, h1 as listed, h2).
  const lost = [listed('h1', 'gone', 100), listed('h1', 'l1', 100)]
  assert.deepEqual((await merge(0, lost)).map(idOf), ['m2new', 'm0', 'gone', 'l1', 'm2', 'm0old'])
})

/** A small random generator (mulberry32): the same cases every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

test('the same order and length as a live merge (newestFirst) over the same rows, ties everywhere', async () => {
  const next = random(14)
  const pick = (n: number) => Math.floor(next() * n)
  for (let round = 0; round < 300; round++) {
    // Each host from memory, listed live, or down (its last-seen rows, no time to ask).
    const kinds = HOSTS.map(() => ['memory', 'live', 'down'][pick(3)]!)
    const times = new Map<string, bigint | undefined>()
    const rowsOf = (host: string) =>
      Array.from({ length: pick(5) }, (_, i) => {
        const id = `${host}-${i}`
        const created = 10 + pick(4)
        const nanos = pick(3) * 1_000
        times.set(id, pick(12) === 0 ? undefined : BigInt(created) * 1_000_000_000n + BigInt(nanos))
        return { id, created, nanos }
      }).sort((a, b) => b.created - a.created || b.nanos - a.nanos)
    const byHost = HOSTS.map((host) => ({ host, kind: kinds[HOSTS.indexOf(host)], rows: rowsOf(host) }))
    const memoryHosts = byHost.filter(({ kind }) => kind === 'memory')
    const memory = fromMemory(
      memoryHosts.map(({ host, rows }) => [host, rows.map((r) => cachedRow(r.id, r.created, r.nanos))]),
    )
    const listedOf = (kind: string) =>
      byHost.filter((h) => h.kind === kind).flatMap(({ host, rows }) =>
        rows.map((r) => listed(host, r.id, r.created))
      )
    const [live, down] = [listedOf('live'), listedOf('down')]
    const limit = pick(3) ? 0 : 1 + pick(12)
    // A down host's row whose time an earlier list asked is known all the same.
    const remembered = down.flatMap((entry) => {
      const time = times.get(String(entry.item.Id))
      return time !== undefined && pick(2) ? [[String(entry.item.Id), time] as const] : []
    })
    const memo = () => {
      const kept = new CreationTimes()
      for (const [id, time] of remembered) kept.set(id, time)
      return kept
    }
    const ask = (entry: ListedRow<string>): Promise<bigint | undefined> =>
      Promise.resolve(down.includes(entry) ? undefined : times.get(String(entry.item.Id)))

    // The live merge as it was: memory's rows as entries, every host in flock order, the down hosts' after.
    // (A row from memory always knows its time: the cache inspected it.)
    const asEntries = memoryHosts.flatMap(({ host, rows }) =>
      rows.map((r) => ({
        host,
        item: { Id: r.id, Created: r.created },
        nanos: BigInt(r.created) * 1_000_000_000n + BigInt(r.nanos),
      }))
    )
    type Entry = ListedRow<string> & { nanos?: bigint }
    const entries = [...live, ...asEntries as Entry[]].sort((a, b) =>
      HOSTS.indexOf(a.host) - HOSTS.indexOf(b.host)
    )
    const expected = await newestFirst(
      [...entries, ...down],
      (entry: Entry) => entry.nanos !== undefined ? Promise.resolve(entry.nanos) : ask(entry),
      memo(),
    )
    const got = await mergeNewestFirst(memory, live, down, {
      position: (host) => HOSTS.indexOf(host),
      createdNanos: ask,
      times: memo(),
      limit,
    })
    const want = expected.map((entry) => entry.item.Id)
    assert.deepEqual(got.map(idOf), limit ? want.slice(0, limit) : want, `round ${round}: ${kinds.join(' ')}`)
  }
})
