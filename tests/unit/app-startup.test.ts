import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFlocker } from '../../src/app.ts'
import { re2Loaded } from '../../src/docker/re2.ts'
import { startRecordingEngine } from '../support/recording-engine.ts'

// One process per test file: nothing here has loaded re2js before these tests run.
test('re2js loads after start-up; a first request with a name pattern waits for it', async () => {
  assert.equal(re2Loaded(), false, 'creating the app does not load re2js')
  const engine = await startRecordingEngine()
  engine.route((req, res) => {
    if (!req.url?.includes('/containers/json')) return false
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify([{ Id: 'a'.repeat(64), Names: ['/web'] }, { Id: 'b'.repeat(64), Names: ['/db'] }]))
    return true
  })
  const app = createFlocker({ hosts: [`node1=${engine.url}`] })
  try {
    // `name@host` filters run the pattern in flocker, as Go's regexp (re2js) would in dockerd.
    const filters = encodeURIComponent(JSON.stringify({ name: ['^/w.b$@node1'] }))
    const response = await app.fetch(
      new Request(`http://localhost/v1.41/containers/json?filters=${filters}`),
      {},
    )
    assert.equal(response.status, 200)
    const names = (await response.json() as { Names: string[] }[]).map((c) => c.Names[0])
    assert.equal(names.length, 1)
    assert.match(names[0]!, /^\/web/)
    assert.equal(re2Loaded(), true)
  } finally {
    await app.close()
    await engine.close()
  }
})

// After the test above: its first answer would load re2js, which that test checks is not loaded yet.
test("the hosts' events are followed only once the first answer is out", async () => {
  const engine = await startRecordingEngine()
  engine.route((req, res) => {
    if (!/\/(containers|images)\/json\b/.test(req.url ?? '')) return false
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('[]')
    return true
  })
  const app = createFlocker({ hosts: [`node1=${engine.url}`] })
  // The list cache and the name index each open an events stream, then read the host's containers.
  const followed = () => engine.arrived.findIndex((url) => /\/(events|containers\/json)\b/.test(url))
  try {
    // Without checkHosts(), which starts following once the checks are done: this waits for them.
    const images = await app.fetch(new Request('http://localhost/v1.41/images/json'), {})
    assert.equal(images.status, 200)
    const asked = engine.arrived.findIndex((url) => url.includes('/images/json'))
    while (followed() < 0) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.ok(asked < followed(), 'the first request reaches the host before any events stream is opened')
  } finally {
    await app.close()
    await engine.close()
  }
})
