import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import type { HostSpec } from '../../src/flock/flock.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

describe('the list hook', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let listed: HostSpec[] = []
  let calls = 0
  before(async () => {
    engines = await startFakeEngines(3)
    listed = [{ name: 'fake2', url: engines[1]!.url, labels: { zone: 'b' } }]
    app = createFlocker({
      hosts: [`fake1=${engines[0]!.url}`],
      hooks: {
        list: async () => {
          await Promise.resolve()
          calls++
          if (calls === 3) throw new Error('inventory service down')
          return listed
        },
      },
      listInterval: 60_000,
    })
  })
  after(async () => {
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('hosts of the hook join the fixed ones before the first request is answered', async () => {
    const info = await (await app.fetch(new Request('http://flocker/info'), {})).json() as {
      SystemStatus: [string, string][]
    }
    assert.equal(new Map(info.SystemStatus as [string, string][]).get('Nodes'), '2')
    assert.deepEqual(app.flock.all.map((h) => h.name), ['fake1', 'fake2'])
    assert.equal(app.flock.byName('fake2')!.labels.zone, 'b')
  })

  test('a new answer adds and removes hosts; a failing hook keeps the last hosts', async () => {
    listed = [{ name: 'fake3', url: engines[2]!.url }]
    await app.refreshHosts()
    assert.deepEqual(app.flock.all.map((h) => h.name), ['fake1', 'fake3'])
    await app.refreshHosts()
    assert.deepEqual(app.flock.all.map((h) => h.name), ['fake1', 'fake3'])
  })

  test("a config reload replaces the fixed hosts and keeps the hook's", () => {
    const { added, removed } = app.setHosts([{ name: 'fake2', url: engines[1]!.url }])
    assert.deepEqual(added.map((h) => h.name), ['fake2'])
    assert.deepEqual(removed.map((h) => h.name), ['fake1'])
    assert.deepEqual(app.flock.all.map((h) => h.name), ['fake2', 'fake3'])
  })

  test('engine facts join the host after a check', async () => {
    await app.checkHosts()
    const host = app.flock.byName('fake3')!
    assert.equal(host.status, 'healthy')
    assert.equal(host.facts?.ncpu, 2)
    assert.equal(host.allLabels.fake, 'fake3')
  })
})
