import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newestFirst, rfc3339Nanos } from '../../src/flock/created-order.ts'

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
