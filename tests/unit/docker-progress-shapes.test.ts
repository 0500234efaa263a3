import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isParsedByClients } from '../../src/docker/progress-shapes.ts'

test('lines clients read keep their shape; progress they only show may name its host', () => {
  assert.ok(isParsedByClients({ stream: 'Loaded image: web:1\n' }))
  assert.ok(isParsedByClients({ stream: 'Loaded image ID: sha256:abc\n' }))
  assert.ok(isParsedByClients({ status: 'Digest: sha256:abc' }))
  assert.ok(isParsedByClients({ status: 'Status: Downloaded newer image for web:1' }))
  assert.ok(!isParsedByClients({ status: 'Downloading', id: 'abc', progressDetail: {} }))
  assert.ok(!isParsedByClients({ stream: 'Step 1/2 : FROM busybox\n' }))
  assert.ok(!isParsedByClients({ error: 'boom', errorDetail: { message: 'boom' } }))
})
