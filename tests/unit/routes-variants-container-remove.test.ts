import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { get, startFakeFlock } from '../support/fake-flock.ts'

describe('removing a link (DELETE /containers/PARENT/ALIAS?link=1)', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    ;({ engines, app, stop } = await startFakeFlock(
      2,
      (engine, i) => i === 1 && engine.add('eeee5555', 'parent'),
    ))
    await app.checkHosts()
  })
  after(() => stop())

  test("goes to the parent's host with the link's name as it came, not an ID", async () => {
    await get(app, '/v1.41/containers/parent/db?link=True', 'DELETE')
    assert.ok(
      engines[1]!.requests.includes('DELETE /containers/parent/db?link=True'),
      engines[1]!.requests.join(),
    )
    assert.ok(!engines[0]!.requests.some((r) => r.startsWith('DELETE')))
  })

  test('a name that is not CONTAINER/ALIAS is refused before any engine sees it', async () => {
    const response = await get(app, '/v1.41/containers/parent/d%20b?link=1', 'DELETE')
    assert.equal(response.status, 400)
    assert.match(((await response.json()) as { message: string }).message, /not a link name/)
    assert.ok(!engines.some((engine) => engine.requests.some((r) => r.includes('d%20b'))))
  })
})
