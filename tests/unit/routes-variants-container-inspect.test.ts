import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { get, type Inspected, startFakeFlock } from '../support/fake-flock.ts'

describe('container inspect', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    // The lookup by name's own answer (the list cache, once synced, finds the owner by ID instead).
    ;({ engines, app, stop } = await startFakeFlock(2, () => {}, { listCache: false }))
    engines[1]!.add('dddd5555', 'solo')
    await app.checkHosts()
  })
  after(() => stop())

  const inspects = (engine: FakeEngine) =>
    engine.requests.filter((r) => r.includes('/containers/solo/json')).length

  test('is answered from the owner lookup: the owner is asked once, not twice', async () => {
    const before = inspects(engines[1]!)
    const response = await get(app, '/v1.41/containers/solo/json')
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as Inspected).Config.Labels['flocker.host'], 'fake2')
    assert.equal(inspects(engines[1]!) - before, 1)
  })

  test('with ?size=1 is asked of the owner again, since the lookup answer lacks the sizes', async () => {
    const before = engines[1]!.requests.length
    const response = await get(app, '/v1.41/containers/solo/json?size=1')
    assert.equal(response.status, 200)
    await response.arrayBuffer()
    assert.ok(engines[1]!.requests.slice(before).some((r) => r.includes('size=1')))
  })
})

describe('a request made in-process', () => {
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    ;({ app, stop } = await startFakeFlock(1, (engine) => engine.add('aaaa1111', 'target')))
    await app.checkHosts()
  })
  after(() => stop())

  // `new Request(url, { body })` declares no Content-Length (the fetch standard adds it on the wire).
  test('sends on a body it does not declare the length of', async () => {
    const body = JSON.stringify({ CpuShares: 512 })
    const request = new Request('http://flocker/v1.41/containers/aaaa1111/update', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    assert.equal(request.headers.get('content-length'), null)
    const response = await app.fetch(request, {})
    assert.equal(response.status, 200, await response.clone().text())
    assert.deepEqual(await response.json(), { Warnings: [body] })
  })
})
