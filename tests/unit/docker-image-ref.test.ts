import assert from 'node:assert/strict'
import { test } from 'node:test'
import { joinImageRef, matchesImageId, normalizeImageRef, splitImageRef } from '../../src/docker/image-ref.ts'

test('a tag holding a colon is a digest, whoever builds the reference (pull, push)', () => {
  assert.equal(joinImageRef('busybox', null), 'busybox')
  assert.equal(joinImageRef('busybox', '1'), 'busybox:1')
  assert.equal(joinImageRef('reg:5000/a', 'sha256:abc'), 'reg:5000/a@sha256:abc')
})

test('split and normalize', () => {
  assert.deepEqual(splitImageRef('reg:5000/a/b:1'), { name: 'reg:5000/a/b', tag: '1' })
  assert.deepEqual(splitImageRef('redis'), { name: 'redis', tag: 'latest' })
  assert.deepEqual(splitImageRef('a@sha256:1'), { name: 'a', tag: 'sha256:1' })
  assert.equal(normalizeImageRef('docker.io/library/busybox'), 'busybox:latest')
})

test('an ID prefix must be a short ID long', () => {
  const id = 'sha256:' + 'abcdef012345'.padEnd(64, '9')
  assert.ok(matchesImageId(id, id))
  assert.ok(matchesImageId(id, 'abcdef012345'))
  assert.ok(!matchesImageId(id, 'abcd'))
})
