import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mergeSources } from '../../src/docker/merge-streams.ts'

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
