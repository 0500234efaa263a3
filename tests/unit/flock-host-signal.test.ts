import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { startFakeFlock } from '../support/fake-flock.ts'

// The list cache's feeds and the name index send every request with one long-lived signal: a finished
// request must not leave its listener (and, through it, the request) on that signal.

describe("a host request's hold on the caller's signal", () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    ;({ engines, app, stop } = await startFakeFlock(1, (engine) => engine.add('aaaa1111', 'web'), {
      listCache: false,
    }))
  })
  after(() => stop())

  test('ends with the request, answered whole or streamed', async () => {
    const host = app.flock.byName('fake1')!
    const feed = new AbortController()
    for (let i = 0; i < 20; i++) await host.json('/containers/json?all=1', { signal: feed.signal })
    for (let i = 0; i < 20; i++) {
      await (await host.request('GET', '/containers/aaaa1111/json', { signal: feed.signal })).arrayBuffer()
    }
    assert.equal(getEventListeners(feed.signal, 'abort').length, 0)
  })

  test('a failed request lets go too', async () => {
    const host = app.flock.byName('fake1')!
    const feed = new AbortController()
    for (let i = 0; i < 5; i++) {
      await assert.rejects(host.json('/containers/nope/json', { signal: feed.signal }))
    }
    assert.equal(getEventListeners(feed.signal, 'abort').length, 0)
  })

  test('a client that leaves still cuts the request it is waiting on', async () => {
    engines[0]!.hang = true
    const host = app.flock.byName('fake1')!
    const client = new AbortController()
    const waiting = host.request('GET', '/containers/json', { signal: client.signal })
    await new Promise((resolve) => setTimeout(resolve, 50))
    client.abort(new Error('the client left'))
    await assert.rejects(waiting)
    engines[0]!.hang = false
  })
})
