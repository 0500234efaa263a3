import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nodeSpec } from '../../src/config.ts'
import { toHostSpec } from '../../src/flock/host-spec.ts'
import type { Platform } from '../../src/runtime/types.ts'

test('every host form becomes a HostSpec: NAME=URL, a bare URL, the original shape with labels', () => {
  assert.deepEqual(toHostSpec('node1=tcp://127.0.0.1:2375'), { name: 'node1', url: 'tcp://127.0.0.1:2375' })
  assert.deepEqual(toHostSpec('tcp://a=b:2375'), { url: 'tcp://a=b:2375' })
  assert.deepEqual(toHostSpec({ hostname: 'old', docker: '127.0.0.1:2375', labels: { zone: 'a' } }), {
    name: 'old',
    url: '127.0.0.1:2375',
    labels: { zone: 'a' },
  })
})

test("the config file's entries go through the same parser (legacy labels are kept)", async () => {
  const platform = {} as Platform
  assert.deepEqual(await nodeSpec('n=tcp://127.0.0.1:1', platform), {
    name: 'n',
    url: 'tcp://127.0.0.1:1',
    labels: undefined,
    tls: undefined,
  })
  const legacy = await nodeSpec(
    { hostname: 'old', docker: '127.0.0.1:2375', labels: { zone: 'a' } },
    platform,
  )
  assert.deepEqual(legacy.labels, { zone: 'a' })
})
