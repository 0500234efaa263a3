import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import { ImageHolders } from '../../src/flock/image-holders.ts'
import type { Host } from '../../src/flock/host.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { followed, get, startFakeFlock } from '../support/fake-flock.ts'

const ID = 'bbbb2222'.padEnd(64, '0')

describe('requests for an object whose host flocker already knows', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    // The owner cache's own path: the list cache would resync (its list and inspects counted here).
    ;({ engines, app, stop } = await startFakeFlock(3, () => {}, { listCache: false }))
    engines[1]!.add('bbbb2222', 'db')
    engines[1]!.images.push('busybox:local')
    engines[2]!.images.push('busybox:local')
    await followed(app, engines)
  })
  after(() => stop())
  const clear = () => engines.forEach((e) => (e.requests = []))

  test('top by a known full ID goes to its host once, with no lookup before it', async () => {
    await get(app, '/containers/json') // lists feed the owner cache
    clear()
    const response = await get(app, `/v1.41/containers/${ID}/top`)
    assert.equal(response.status, 200)
    assert.deepEqual(engines[1]!.requests, [`GET /containers/${ID}/top`])
    assert.equal(engines[0]!.requests.length + engines[2]!.requests.length, 0)
  })

  test("docker run's start (a POST with Content-Length: 0) goes to its known host once, with no lookup", async () => {
    await get(app, '/containers/json')
    clear()
    const start = new Request(`http://flocker/v1.41/containers/${ID}/start`, {
      method: 'POST',
      headers: { 'content-length': '0' }, // as Go's client, the docker CLI's, sends every bodiless POST
    })
    const response = await app.fetch(start, {})
    assert.equal(response.status, 204)
    assert.deepEqual(engines[1]!.requests, [`POST /containers/${ID}/start`])
    assert.equal(engines[0]!.requests.length + engines[2]!.requests.length, 0)
  })

  test('a container gone from its known host is found where it went', async () => {
    const moved = engines[1]!.containers.splice(0, 1)[0]!
    engines[0]!.containers.push(moved)
    try {
      const response = await get(app, `/v1.41/containers/${ID}/top`)
      assert.equal(response.status, 200)
      assert.ok(engines[0]!.requests.includes(`GET /containers/${ID}/top`))
      clear()
      assert.equal((await get(app, `/v1.41/containers/${ID}/top`)).status, 200)
      assert.deepEqual(engines[0]!.requests, [`GET /containers/${ID}/top`], 'the new host is remembered')
    } finally {
      engines[1]!.containers.push(...engines[0]!.containers.splice(0, 1))
    }
  })

  test('an empty-bodied start whose known host lost the container is sent again where it went', async () => {
    await get(app, '/containers/json')
    const moved = engines[1]!.containers.splice(0, 1)[0]!
    engines[0]!.containers.push(moved)
    try {
      const start = new Request(`http://flocker/v1.41/containers/${ID}/start`, {
        method: 'POST',
        headers: { 'content-length': '0' },
      })
      assert.equal((await app.fetch(start, {})).status, 204)
      assert.ok(engines[0]!.requests.includes(`POST /containers/${ID}/start`))
    } finally {
      engines[1]!.containers.push(...engines[0]!.containers.splice(0, 1))
    }
  })

  test('an unknown ID is still the engine-style 404', async () => {
    const response = await get(app, `/v1.41/containers/${'dddd'.padEnd(64, '0')}/top`)
    assert.equal(response.status, 404)
    assert.match(((await response.json()) as { message: string }).message, /^No such container/)
  })

  test('an image is looked up on every host once, then asked of its first holder alone', async () => {
    clear()
    const first = await get(app, '/v1.41/images/busybox:local/json')
    assert.equal(((await first.json()) as { Comment: string }).Comment, 'fake2', 'the first holder answers')
    assert.ok(engines[0]!.requests.length > 0, 'the first lookup asks every host')
    clear()
    const again = await get(app, '/v1.41/images/busybox:local/json')
    assert.equal(((await again.json()) as { Comment: string }).Comment, 'fake2')
    assert.deepEqual(engines[1]!.requests, ['GET /images/busybox:local/json'])
    assert.equal(engines[0]!.requests.length + engines[2]!.requests.length, 0)
  })

  test('an image gone from its remembered host is found on another; gone everywhere, a 404', async () => {
    engines[1]!.images = []
    const moved = await get(app, '/v1.41/images/busybox:local/json')
    assert.equal(((await moved.json()) as { Comment: string }).Comment, 'fake3')
    engines[2]!.images = []
    const missing = await get(app, '/v1.41/images/busybox:local/json')
    assert.equal(missing.status, 404)
    assert.match(((await missing.json()) as { message: string }).message, /^No such image: busybox:local/)
  })
})

describe('image holders', () => {
  const host = { name: 'node1' } as Host
  test('every image change made through flocker forgets what was known', () => {
    const holders = new ImageHolders()
    for (
      const path of [
        '/v1.41/images/create?fromImage=x',
        '/images/x/tag',
        '/v1.41/build',
        '/commit?container=a',
      ]
    ) {
      holders.remember('busybox', host)
      holders.noteWrite(path)
      assert.equal(holders.lookup('busybox'), undefined, path)
    }
    holders.remember('busybox', host)
    holders.noteWrite('/v1.41/containers/abc/start')
    assert.equal(holders.lookup('busybox'), host, 'a container change keeps it')
  })
})
