import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import { LocalNameReservations } from '../../src/names/reservations.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { get, startFakeFlock } from '../support/fake-flock.ts'

describe('container rename', () => {
  const names = new LocalNameReservations()
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    ;({ engines, app, stop } = await startFakeFlock(2, () => {}, { nameReservations: names }))
    engines[0]!.add('aaaa1111', 'old')
    await app.checkHosts()
  })
  after(() => stop())

  test('waits while a create holds the new name, so the two cannot both take it', async () => {
    const create = await names.reserve('web', { ttl: 60_000 })
    let answered = false
    const rename = get(app, '/v1.41/containers/old/rename?name=web', 'POST').then((response) => {
      answered = true
      return response
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(answered, false, 'the rename waits for the create holding "web"')
    engines[1]!.add('bbbb2222', 'web') // the create landed on the other host
    await new Promise((resolve) => setTimeout(resolve, 100)) // and its event reached flocker
    await create.release()
    const response = await rename
    assert.equal(response.status, 409)
    assert.match(((await response.json()) as { message: string }).message, /"\/web" is already in use/)
    assert.equal(names.size, 0, 'the rename gave its reservation back')
  })
})
