import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fanOut } from '../../src/docker/fan-out.ts'
import { encodeJsonLine, jsonMessages } from '../../src/docker/json-lines.ts'
import { mergeSources } from '../../src/docker/merge-streams.ts'
import { concatBytes } from '../../src/runtime/node-compat/http1.ts'

const encoder = new TextEncoder()

function streamOf(chunks: readonly (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      }
      controller.close()
    },
  })
}

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of stream as unknown as AsyncIterable<T>) out.push(item)
  return out
}

test('jsonMessages splits values cut anywhere, with or without newlines, braces inside strings', async () => {
  const text = '{"status":"a {"}\n{"status":"b\\"}"}{"id":1,"progressDetail":{}}  \r\n[1,2]\n'
  const bytes = encoder.encode(text)
  const cut = [bytes.subarray(0, 5), bytes.subarray(5, 17), bytes.subarray(17, 40), bytes.subarray(40)]
  const messages = []
  for await (const message of jsonMessages(streamOf(cut))) messages.push(message)
  assert.deepEqual(messages, [{ status: 'a {' }, { status: 'b"}' }, { id: 1, progressDetail: {} }, [1, 2]])
})

test('jsonMessages keeps a multi-byte character cut between chunks', async () => {
  const bytes = encoder.encode('{"s":"é€"}')
  const messages = []
  for await (const message of jsonMessages(streamOf([bytes.subarray(0, 8), bytes.subarray(8)]))) {
    messages.push(message)
  }
  assert.deepEqual(messages, [{ s: 'é€' }])
  assert.equal(new TextDecoder().decode(encodeJsonLine({ a: 1 })), '{"a":1}\n')
})

test('fanOut gives every reader every byte', async () => {
  const [a, b, c] = fanOut(streamOf(['one', 'two', 'three']), 3)
  const texts = await Promise.all(
    [a!, b!, c!].map(async (s) => new TextDecoder().decode(concatBytes(await collect(s)))),
  )
  assert.deepEqual(texts, ['onetwothree', 'onetwothree', 'onetwothree'])
})

test('fanOut reads the source only as fast as the slowest reader (no unbounded buffering)', async () => {
  let pulled = 0
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++
      controller.enqueue(new Uint8Array(1024))
      if (pulled === 100) controller.close()
    },
  }, { highWaterMark: 0 })
  const [fast, slow] = fanOut(source, 2)
  const fastReader = fast!.getReader()
  const slowReader = slow!.getReader()
  // Both read once: the source gives one chunk to both.
  await Promise.all([fastReader.read(), slowReader.read()])
  // The fast reader alone cannot drain the source: it waits for the slow one.
  const next = fastReader.read()
  const raced = await Promise.race([next, new Promise((resolve) => setTimeout(resolve, 200, 'waiting'))])
  assert.equal(raced, 'waiting')
  assert.ok(pulled <= 2, `pulled ${pulled} chunks while one reader waited`)
  slowReader.releaseLock()
  // Once the slow reader leaves, the fast one gets the rest.
  await slow!.cancel()
  assert.equal((await next).done, false)
  let rest = 0
  for (;;) {
    const { done } = await fastReader.read()
    if (done) break
    rest++
  }
  assert.equal(rest, 98)
})

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
