import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mergeSources } from '../../src/docker/merge-streams.ts'
import { collect } from '../support/streams.ts'

test('mergeSources interleaves, ends when all end, keeps items of every source', async () => {
  async function* counting(prefix: string, n: number) {
    for (let i = 0; i < n; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      yield `${prefix}${i}`
    }
  }
  const merged = mergeSources([() => counting('a', 50), () => counting('b', 50), () => counting('c', 50)])
  const items = await collect(merged)
  assert.equal(items.length, 150)
  for (const prefix of ['a', 'b', 'c']) {
    assert.deepEqual(
      items.filter((item) => item.startsWith(prefix)),
      [...Array(50).keys()].map((i) => `${prefix}${i}`),
    )
  }
})

test('mergeSources: several sources waiting for room at once all resume (slow reader)', async () => {
  async function* burst(prefix: string) {
    for (let i = 0; i < 20; i++) yield `${prefix}${i}`
  }
  const merged = mergeSources([() => burst('a'), () => burst('b'), () => burst('c')])
  const reader = merged.getReader()
  const items: string[] = []
  for (;;) {
    // A reader slower than the sources: every source hits a full queue.
    await new Promise((resolve) => setTimeout(resolve, 1))
    const { done, value } = await reader.read()
    if (done) break
    items.push(value)
  }
  assert.equal(items.length, 60)
})

test('mergeSources: cancelling stops every source', async () => {
  const stopped: string[] = []
  const endless = (name: string) =>
    async function* (signal: AbortSignal) {
      try {
        while (!signal.aborted) {
          await new Promise((resolve) => setTimeout(resolve, 1))
          yield name
        }
      } finally {
        stopped.push(name)
      }
    }
  const merged = mergeSources([endless('a'), endless('b')])
  const reader = merged.getReader()
  await reader.read()
  await reader.cancel()
  const deadline = Date.now() + 5_000
  while (stopped.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(stopped.sort(), ['a', 'b'])
})

test('merged progress of several hosts ends even when the reader lags behind all of them', async () => {
  const source = (name: string) =>
    async function* () {
      for (let i = 0; i < 50; i++) yield `${name}${i}`
    }
  const stream = mergeSources(['a', 'b', 'c'].map(source))
  const reader = stream.getReader()
  const seen: string[] = []
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1)) // a slow client: every source waits for room
    const { done, value } = await reader.read()
    if (done) break
    seen.push(value)
  }
  assert.equal(seen.length, 150)
})
