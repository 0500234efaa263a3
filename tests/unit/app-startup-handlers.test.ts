import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFlocker } from '../../src/app.ts'
import { handlerFor } from '../../src/routes/handlers.ts'
import { handlersLoaded } from '../../src/routes/load-handlers.ts'
import { answerPing } from '../../src/routes/system/ping.ts'
import { routes } from '../../src/routes/table.ts'
import { startRecordingEngine } from '../support/recording-engine.ts'

// One process per test file: the static import of handlers.ts above does not count as loaded; only
// the app's own load (routes/load-handlers.ts) does.
test('/_ping is answered before the route handlers load; the next request waits for them', async () => {
  const engine = await startRecordingEngine()
  const app = createFlocker({ hosts: [`node1=${engine.url}`] })
  try {
    const ping = await app.fetch(new Request('http://localhost/_ping'), {})
    // Checked before anything else awaits: the answer starts the load a timer turn later.
    assert.equal(handlersLoaded(), false, 'the first answer did not load the handlers')
    assert.equal(ping.status, 200)
    assert.equal(await ping.text(), 'OK')
    const version = await app.fetch(new Request('http://localhost/v1.41/version'), {})
    assert.equal(version.status, 200)
    assert.equal(handlersLoaded(), true)
    const again = await app.fetch(new Request('http://localhost/v1.41/_ping'), {})
    assert.equal(again.status, 200)
  } finally {
    await app.close()
    await engine.close()
  }
})

test("the app's /_ping handler is the one the route table picks for it", () => {
  const ping = routes.find((route) => route.path === '/_ping')!
  assert.equal(handlerFor(ping), answerPing)
})
