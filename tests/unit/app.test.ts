import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFlocker } from '../../src/app.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'
import type { HostClientOptions, RuntimeAdapter } from '../../src/runtime/types.ts'
import { startRecordingEngine } from '../support/recording-engine.ts'

test("deny by default: a path the table does not know is dockerd's 404, never passed to a host", async () => {
  const engine = await startRecordingEngine()
  const app = createFlocker({ hosts: [`node1=${engine.url}`] })
  try {
    const response = await app.fetch(new Request('http://localhost/v1.99/brand/new'), {})
    assert.equal(response.status, 404)
    assert.deepEqual(await response.json(), { message: 'page not found' })
    assert.deepEqual(engine.seen.filter((seen) => seen.url.includes('brand')), [])
  } finally {
    await app.close()
    await engine.close()
  }
})

test("a host's idle connection outlives the time between its health checks, so each check reuses it", async () => {
  const engine = await startRecordingEngine()
  const runtime = detectRuntime()
  const told: HostClientOptions[] = []
  const spy: RuntimeAdapter = Object.create(runtime)
  spy.connect = (endpoint, options) => {
    told.push(options ?? {})
    return runtime.connect(endpoint, options)
  }
  const app = createFlocker({ hosts: [`node1=${engine.url}`], runtime: spy, health: { interval: 5_000 } })
  try {
    await app.fetch(new Request('http://localhost/_ping'), {})
    assert.ok(told.length > 0)
    for (const options of told) assert.ok(options.idleTimeout! > 5_000, `idle timeout ${options.idleTimeout}`)
  } finally {
    await app.close()
    await engine.close()
  }
})
