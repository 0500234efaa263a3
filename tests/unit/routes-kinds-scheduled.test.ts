import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

const create = (app: FlockerApp, name: string) =>
  app.fetch(
    new Request(`http://f/v1.41/containers/create?name=${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Image: 'busybox:local', Cmd: ['true'] }),
    }),
    {},
  )

describe('named creates, on fake engines', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  before(async () => {
    engines = await startFakeEngines(3)
    engines[1]!.add('c'.repeat(64), 'taken')
    app = createFlocker({ hosts: engines.map((e) => `${e.name}=${e.url}`) })
    await app.checkHosts()
  })
  after(async () => {
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('a taken name is refused with the holder, and no engine is asked to create it', async () => {
    for (const engine of engines) engine.requests = []
    const answer = await create(app, 'taken')
    assert.equal(answer.status, 409)
    assert.match((await answer.json() as { message: string }).message, /"\/taken" is already in use .* fake2/)
    const creates = engines.flatMap((e) => e.requests.filter((r) => r.startsWith('POST /containers/create')))
    assert.deepEqual(creates, [])
  })

  test("the created container's host is known at once: the next call goes straight to it", async () => {
    const answer = await create(app, 'fresh')
    assert.equal(answer.status, 201)
    const { Id } = await answer.json() as { Id: string }
    const owner = engines.find((e) => e.find(Id))!
    for (const engine of engines) engine.requests = []
    const top = await app.fetch(new Request(`http://f/v1.41/containers/${Id}/top`), {})
    assert.equal(top.status, 200)
    await top.body?.cancel()
    const asked = engines.filter((e) => e.requests.some((r) => r.includes(Id)))
    assert.deepEqual(asked.map((e) => e.name), [owner.name])
    assert.deepEqual(owner.requests.filter((r) => r.includes(Id)), [`GET /containers/${Id}/top`])
  })
})
