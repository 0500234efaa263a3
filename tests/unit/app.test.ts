import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFlocker } from '../../src/app.ts'
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
