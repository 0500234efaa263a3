import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bodyCopies } from '../../src/docker/body-copies.ts'
import { streamOf } from '../support/streams.ts'

test('bodyCopies gives every reader every byte', async () => {
  const [a, b, c] = bodyCopies(streamOf(['one', 'two', 'three']), 3)
  const texts = await Promise.all(
    [a!, b!, c!].map((s) => new Response(s).text()),
  )
  assert.deepEqual(texts, ['onetwothree', 'onetwothree', 'onetwothree'])
})

test('bodyCopies reads the source only as fast as the slowest reader (no unbounded buffering)', async () => {
  let pulled = 0
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++
      controller.enqueue(new Uint8Array(1024))
      if (pulled === 100) controller.close()
    },
  }, { highWaterMark: 0 })
  const [fast, slow] = bodyCopies(source, 2)
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
