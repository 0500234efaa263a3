import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CreationTimes, newestFirst, rfc3339Nanos } from '../../src/flock/created-order.ts'

test('inspect times with nanoseconds', () => {
  assert.equal(rfc3339Nanos('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n)
  assert.equal(rfc3339Nanos('1970-01-01T00:00:01.5Z'), 1_500_000_000n)
  assert.equal(rfc3339Nanos('1970-01-01T01:00:01+01:00'), 1_000_000_000n)
  assert.equal(rfc3339Nanos('yesterday'), undefined)
})

test('containers of one second on different hosts are ordered by their nanoseconds; others keep their order', async () => {
  const entry = (host: string, id: string, Created: number) => ({ host, item: { Id: id, Created } })
  const nanos: Record<string, bigint> = { a1: 10n, a2: 30n, b1: 20n }
  const asked: string[] = []
  const ordered = await newestFirst(
    [
      entry('a', 'a2', 5),
      entry('a', 'a1', 5),
      entry('a', 'old', 1),
      entry('b', 'b1', 5),
      entry('b', 'new', 9),
    ],
    (e) => {
      asked.push(String(e.item.Id))
      return Promise.resolve(nanos[String(e.item.Id)])
    },
  )
  assert.deepEqual(ordered.map((e) => e.item.Id), ['new', 'a2', 'b1', 'a1', 'old'])
  assert.deepEqual(asked.sort(), ['a1', 'a2', 'b1'])
})

test('a tie is asked once; a time that cannot be read leaves the second in flock order', async () => {
  const entry = (host: string, id: string, Created: number) => ({ host, item: { Id: id, Created } })
  const times = new CreationTimes()
  const asked: string[] = []
  const nanos: Record<string, bigint | undefined> = { a1: 10n, b1: 20n }
  const ask = (e: ReturnType<typeof entry>) => {
    asked.push(String(e.item.Id))
    return Promise.resolve(nanos[String(e.item.Id)])
  }
  const entries = [entry('a', 'a1', 5), entry('b', 'b1', 5)]
  assert.deepEqual((await newestFirst(entries, ask, times)).map((e) => e.item.Id), ['b1', 'a1'])
  assert.deepEqual((await newestFirst(entries, ask, times)).map((e) => e.item.Id), ['b1', 'a1'])
  assert.deepEqual(asked.sort(), ['a1', 'b1'])
  const gone = [entry('a', 'a9', 7), entry('b', 'b1', 7)]
  assert.deepEqual((await newestFirst(gone, ask)).map((e) => e.item.Id), ['a9', 'b1'])
})

test('many hosts tied in every second are ordered in one pass', async () => {
  const entries = Array.from(
    { length: 200 },
    (_, h) =>
      Array.from(
        { length: 50 },
        (_, c) => ({ host: `h${h}`, item: { Id: `h${h}c${c}`, Created: 1000 - c } }),
      ),
  ).flat()
  // Within each second, the host with the higher number was created later.
  const ordered = await newestFirst(entries, (e) => Promise.resolve(BigInt(String(e.host).slice(1))))
  assert.equal(ordered.length, 10_000)
  assert.deepEqual(ordered.slice(0, 2).map((e) => e.item.Id), ['h199c0', 'h198c0'])
  assert.equal(ordered.at(-1)!.item.Id, 'h0c49')
})

test('creation times keep at most their limit, dropping the oldest', () => {
  const times = new CreationTimes(2)
  times.set('x', 1n)
  times.set('y', 2n)
  times.set('z', 3n)
  assert.equal(times.size, 2)
  assert.equal(times.get('x'), undefined)
  assert.equal(times.get('z'), 3n)
})
