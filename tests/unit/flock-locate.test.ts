import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { eventually } from '../support/eventually.ts'
import { followed, get, type Inspected, startFakeFlock } from '../support/fake-flock.ts'

describe('finding the host of a container', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    // The name index's and owner cache's paths (the list cache, when on, finds owners before them).
    ;({ engines, app, stop } = await startFakeFlock(3, () => {}, { names: 'at', listCache: false }))
    engines[0]!.add('aaaa1111', 'web')
    engines[1]!.add('bbbb2222', 'db')
    engines[1]!.add('cccc3333', 'twin')
    engines[2]!.add('cccc4444', 'twin')
    await followed(app, engines)
  })
  after(() => stop())

  for (const ref of ['aaaa1111'.padEnd(64, '0'), 'aaaa11110000', 'aaaa1', 'web', 'web@fake1', 'fake1/web']) {
    test(`"${ref}" finds web on fake1, shown as web@fake1 with its host`, async () => {
      const response = await get(app, `/v1.41/containers/${encodeURIComponent(ref)}/json`)
      assert.equal(response.status, 200)
      const body = await response.json() as Inspected
      assert.equal(body.Name, '/web@fake1')
      assert.equal(body.Config.Labels['flocker.host'], 'fake1')
      assert.equal(body.Node.Name, 'fake1')
      assert.equal(body.Node.Addr, engines[0]!.url)
    })
  }

  test('a name on two hosts is refused, naming both', async () => {
    const response = await get(app, '/containers/twin/json')
    assert.equal(response.status, 400)
    const { message } = await response.json() as { message: string }
    assert.match(message, /"twin" is ambiguous: it matches on hosts fake2, fake3/)
    assert.match(message, /twin@fake2/)
    const qualified = await get(app, '/containers/twin@fake3/json')
    assert.equal(((await qualified.json()) as Inspected).Id, 'cccc4444'.padEnd(64, '0'))
  })

  test('an ID prefix on two hosts is refused too', async () => {
    const response = await get(app, '/containers/cccc/json')
    assert.equal(response.status, 400)
    assert.match(((await response.json()) as { message: string }).message, /fake2, fake3/)
  })

  test('an unknown container is a 404 in docker words', async () => {
    const response = await get(app, '/containers/nope/json')
    assert.equal(response.status, 404)
    assert.match(((await response.json()) as { message: string }).message, /^No such container: nope/)
  })

  test('a name is asked of the one host the name index says holds it, and found again once moved', async () => {
    const lookups = () =>
      engines.map((e) => e.requests.filter((r) => r.includes('/containers/db/json')).length)
    // The index is filled once each host's events stream is up.
    await eventually(async () => {
      engines.forEach((e) => (e.requests = []))
      assert.equal((await get(app, '/containers/db/json')).status, 200)
      assert.deepEqual(lookups(), [0, 1, 0])
    })
    // A name on two hosts is still refused (the index names no one holder).
    assert.equal((await get(app, '/containers/twin/json')).status, 400)
    // Moved behind the index's back (no event): fake2 says no, the whole flock is asked.
    const db = engines[1]!.containers.findIndex((c) => c.Names[0] === '/db')
    const moved = engines[1]!.containers.splice(db, 1)[0]!
    engines[0]!.containers.push(moved)
    engines.forEach((e) => (e.requests = []))
    try {
      const body = await (await get(app, '/containers/db/json')).json() as Inspected
      assert.equal(body.Node.Name, 'fake1')
      assert.deepEqual(lookups(), [1, 2, 1], 'fake2 first, then every host')
    } finally {
      engines[0]!.containers.pop()
      engines[1]!.containers.splice(db, 0, moved)
    }
  })

  test('a request about a container by name goes straight to the host the index names; gone, it is located', async () => {
    const sent = () => engines.map((e) => e.requests.filter((r) => r.includes('/containers/web/')).join(' '))
    await eventually(async () => {
      engines.forEach((e) => (e.requests = []))
      assert.equal((await get(app, '/containers/web/top')).status, 200)
      // Sent to fake1, which says no; located: fake1 (the index's holder, no event told it) first, then the flock.
      assert.deepEqual(sent(), ['GET /containers/web/top', '', ''])
    })
    // "db" could be an ID prefix on its host (hex digits only): it is located first.
    engines.forEach((e) => (e.requests = []))
    assert.equal((await get(app, '/containers/db/top')).status, 200)
    assert.deepEqual(engines.map((e) => e.requests.some((r) => r.includes('/containers/db/json'))), [
      false,
      true,
      false,
    ])
    const web = engines[0]!.containers.findIndex((c) => c.Names[0] === '/web')
    const moved = engines[0]!.containers.splice(web, 1)[0]!
    engines[1]!.containers.push(moved)
    try {
      engines.forEach((e) => (e.requests = []))
      assert.equal((await get(app, '/containers/web/top')).status, 200)
      assert.deepEqual(sent(), [
        'GET /containers/web/top GET /containers/web/json GET /containers/web/json',
        'GET /containers/web/json',
        'GET /containers/web/json',
      ])
      assert.match(engines[1]!.requests.join(' '), /GET \/containers\/[0-9a-f]{64}\/top/)
    } finally {
      engines[1]!.containers.pop()
      engines[0]!.containers.splice(web, 0, moved)
    }
  })

  test('a known ID is asked of its host only, and a moved container is found again', async () => {
    await get(app, '/containers/json') // lists feed the owner cache
    const id = 'bbbb2222'.padEnd(64, '0')
    engines.forEach((e) => (e.requests = []))
    assert.equal((await get(app, `/containers/${id}/json`)).status, 200)
    assert.equal(engines[0]!.requests.length + engines[2]!.requests.length, 0, 'other hosts were asked')
    // the container "moves": gone from fake2, now on fake1; the cache must not answer fake2
    const moved = engines[1]!.containers.splice(0, 1)[0]!
    engines[0]!.containers.push(moved)
    const body = await (await get(app, `/containers/${id}/json`)).json() as Inspected
    assert.equal(body.Node.Name, 'fake1')
  })
})
