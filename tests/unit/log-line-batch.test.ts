import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lineBatch } from '../../src/log/line-batch.ts'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('lines queued within the window are written once, in order, after the current work', async () => {
  const written: string[] = []
  const batch = lineBatch((text) => written.push(text), { delayMs: 20 })
  batch.line('one')
  await pause(5)
  batch.line('two')
  assert.deepEqual(written, [], 'nothing is written while requests keep coming within the window')
  await pause(40)
  assert.deepEqual(written, ['one\ntwo'])
  batch.line('three')
  batch.flush()
  assert.deepEqual(written, ['one\ntwo', 'three'], 'flush writes at once')
  await pause(40)
  assert.equal(written.length, 2, 'nothing twice')
})

test('a burst is written as soon as the line cap is reached', () => {
  const written: string[] = []
  const batch = lineBatch((text) => written.push(text), { delayMs: 60_000, maxLines: 3 })
  for (const line of ['a', 'b', 'c', 'd']) batch.line(line)
  assert.deepEqual(written, ['a\nb\nc'])
  batch.flush()
  assert.deepEqual(written, ['a\nb\nc', 'd'])
})
