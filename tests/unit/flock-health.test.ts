import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Flock } from '../../src/flock/flock.ts'
import { checkHost } from '../../src/flock/health.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'

test('a pending host turns unhealthy only after `failureThreshold` failed checks', async () => {
  // Port 1 on loopback: nothing listens, every check fails at once.
  const flock = new Flock(detectRuntime(), [{ name: 'down', url: 'tcp://127.0.0.1:1' }])
  const host = flock.byName('down')!
  const options = { interval: 60_000, failureThreshold: 3, timeout: 2_000 }
  await checkHost(host, options)
  await checkHost(host, options)
  assert.equal(host.status, 'pending')
  assert.equal(host.consecutiveFailures, 2)
  await checkHost(host, options)
  assert.equal(host.status, 'unhealthy')
})
