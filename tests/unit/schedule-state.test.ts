import assert from 'node:assert/strict'
import { test } from 'node:test'
import { findImage, hasImage } from '../../src/schedule/state.ts'
import { fakeHost } from '../support/scheduling.ts'

const ID = 'sha256:' + 'cafe0123456789ab'.padEnd(64, '0')
const host = {
  ...{ host: fakeHost('node1'), containers: [], volumes: [], networks: [] },
  images: [{ id: ID, tags: ['web:1'] }],
}

test('findImage takes a tag, the ID, or an ID prefix a short ID long, as the filters do', () => {
  assert.equal(findImage(host, 'web:1')?.id, ID)
  assert.equal(findImage(host, ID)?.id, ID)
  assert.equal(findImage(host, 'cafe01234567')?.id, ID)
  assert.equal(findImage(host, 'sha256:cafe01234567')?.id, ID)
  // A hex-looking name (`cafe`) is not an ID prefix: it would find an unrelated image.
  assert.equal(findImage(host, 'cafe'), undefined)
  assert.ok(!hasImage(host, 'cafe0123'))
})
