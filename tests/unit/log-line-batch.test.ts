import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lineBatch } from '../../src/log/line-batch.ts'

test('lines queued together are written once, in order, after the current work', async () => {
  const written: string[] = []
  const batch = lineBatch((text) => written.push(text))
  batch.line('one')
  batch.line('two')
  assert.deepEqual(written, [], 'nothing is written while the request is being answered')
  await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(written, ['one\ntwo'])
  batch.line('three')
  batch.flush()
  assert.deepEqual(written, ['one\ntwo', 'three'], 'flush writes at once')
  await new Promise((resolve) => setTimeout(resolve, 5))
  assert.equal(written.length, 2, 'nothing twice')
})
