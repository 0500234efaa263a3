import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { eventually } from '../support/eventually.ts'
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

describe('a burst of named creates, on fake engines', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  before(async () => {
    engines = await startFakeEngines(3)
    // Every answer a little late, so the creates of the burst overlap as on a busy flock.
    for (const engine of engines) engine.delay = 5
    app = createFlocker({ hosts: engines.map((e) => `${e.name}=${e.url}`) })
    await app.checkHosts()
  })
  after(async () => {
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('20 at once: no probe per name, each host listed far fewer times than there are creates', async () => {
    for (const engine of engines) engine.requests = []
    const names = Array.from({ length: 20 }, (_, i) => `burst-${i}`)
    const answers = await Promise.all(names.map((name) => create(app, name)))
    assert.deepEqual(answers.map((a) => a.status), names.map(() => 201))
    const asked = engines.flatMap((e) => e.requests)
    assert.deepEqual(asked.filter((r) => /^GET \/containers\/burst-/.test(r)), [], 'a name probed on a host')
    for (const engine of engines) {
      const lists = engine.requests.filter((r) => r.startsWith('GET /containers/json'))
      assert.ok(lists.length >= 1 && lists.length < 10, `${engine.name} listed ${lists.length} times`)
    }
    const held = engines.flatMap((e) => e.containers.flatMap((c) => c.Names)).filter((n) =>
      n.startsWith('/burst-')
    )
    assert.equal(held.length, 20)
    assert.equal(new Set(held).size, 20)
  })

  test('a name taken on an engine directly is refused through flocker once its event is in', async () => {
    assert.equal((await create(app, 'warm')).status, 201)
    engines[2]!.add('d'.repeat(64), 'direct')
    // The event delay: the fake engine has written the create event; flocker reads it meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const answer = await create(app, 'direct')
    assert.equal(answer.status, 409)
    assert.match(
      (await answer.json() as { message: string }).message,
      /"\/direct" is already in use .* fake3/,
    )
  })

  test('a host whose events stream is down is read: a name taken there meanwhile is refused', async () => {
    const host = engines[1]!
    host.refuseEvents = true
    const opened = host.requests.filter((r) => r.startsWith('GET /events')).length
    host.dropEvents()
    // flocker tries the stream again once it saw it end: from then on it reads this host.
    await eventually(() => {
      assert.ok(host.requests.filter((r) => r.startsWith('GET /events')).length > opened)
    })
    host.add('e'.repeat(64), 'while-down') // no stream: no event reaches flocker
    const answer = await create(app, 'while-down')
    assert.equal(answer.status, 409)
    assert.match(
      (await answer.json() as { message: string }).message,
      /"\/while-down" is already in use .* fake2/,
    )
    host.refuseEvents = false
  })

  test('parallel creates of one name: exactly one is created', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => create(app, 'once')))
    const statuses = answers.map((a) => a.status).sort()
    assert.deepEqual(statuses, [201, ...Array(9).fill(409)])
    const held = engines.flatMap((e) => e.containers.flatMap((c) => c.Names)).filter((n) => n === '/once')
    assert.equal(held.length, 1)
  })
})
