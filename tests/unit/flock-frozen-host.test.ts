import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { checkHost } from '../../src/flock/health.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

// A frozen engine takes connections and never answers. Requests already waiting on it must end when
// the health checks find it so, and lookups across the flock must not wait for it.

describe('a host that stops answering', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  before(async () => {
    engines = await startFakeEngines(2)
    engines[0]!.add('aaaa1111', 'web')
    app = createFlocker({
      hosts: engines.map((e) => `${e.name}=${e.url}`),
      hostTimeout: 300,
      health: { interval: 300, timeout: 2000 },
    })
    await app.checkHosts()
  })
  after(async () => {
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('a request waiting for its answer ends when a health check fails, naming the host', async () => {
    engines[1]!.hang = true
    const host = app.flock.byName('fake2')!
    const waiting = host.request('GET', '/containers/json')
    await checkHost(host, { interval: 1000, failureThreshold: 1, timeout: 100 })
    await assert.rejects(waiting, (error: Error & { status?: number }) => {
      assert.equal(error.status, 502)
      assert.match(error.message, /host fake2 did not answer: it stopped answering \(health check failed/)
      return true
    })
    engines[1]!.hang = false
  })

  test('a lookup finds a container elsewhere without waiting on it, and names it when nothing is found', async () => {
    engines[1]!.hang = true
    const found = await app.fetch(new Request('http://flocker/v1.41/containers/web/json'), {})
    assert.equal(found.status, 200)
    const missing = await app.fetch(new Request('http://flocker/v1.41/containers/nope/json'), {})
    assert.equal(missing.status, 404)
    assert.match(((await missing.json()) as { message: string }).message, /fake2/)
    engines[1]!.hang = false
  })
})
