import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import { Observers, type RequestRecord } from '../../src/observe/observer.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { startFakeFlock } from '../support/fake-flock.ts'

test('what the middleware follows is what the observers watch', () => {
  const observers = new Observers()
  assert.equal(observers.requestInterest, 'none')
  const health = observers.add({ health() {} })
  assert.equal(observers.requestInterest, 'none')
  const errors = observers.add({ requests: 'errors', request() {}, hijackOpen() {} })
  assert.equal(observers.requestInterest, 'errors')
  const all = observers.add({ request() {} })
  assert.equal(observers.requestInterest, 'all')
  all()
  observers.add({ cache() {} })
  assert.equal(observers.requestInterest, 'all')
  health()
  errors()
})

describe('an observer of failures only', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  const seen: RequestRecord[] = []
  before(async () => {
    ;({ engines, app, stop } = await startFakeFlock(
      1,
      (engine) =>
        engine.containers.push({ Id: 'b'.repeat(64), Names: ['/db'], Created: 1, State: 'running' }),
      { observer: { requests: 'errors', request: (r) => seen.push(r) } },
    ))
    await app.checkHosts()
  })
  after(() => stop())

  test('answers carry a request ID and their bodies unchanged; only failures are told', async () => {
    const response = await app.fetch(new Request('http://flocker/v1.41/containers/db/json'), {})
    assert.equal(response.status, 200)
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    assert.equal(((await response.json()) as { Id: string }).Id, 'b'.repeat(64))
    const list = await app.fetch(new Request('http://flocker/v1.41/containers/json?all=1'), {})
    assert.equal(((await list.json()) as unknown[]).length, 1)
    assert.equal(seen.length, 0)
    engines[0]!.failWith = 500
    const failed = await app.fetch(new Request(`http://flocker/v1.41/containers/${'b'.repeat(64)}/top`), {})
    await failed.text()
    engines[0]!.failWith = null
    assert.ok(failed.status >= 500, String(failed.status))
    assert.equal(seen.length, 1)
    assert.equal(seen[0]!.id, failed.headers.get('x-request-id'))
    assert.equal(seen[0]!.status, failed.status)
  })
})
