import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import type { ContainerSummaryJson } from '../../src/docker/types.ts'
import { mergeImages } from '../../src/routes/kinds/merged.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { followed, get, startFakeFlock } from '../support/fake-flock.ts'
import { eventually } from '../support/eventually.ts'

/** A container as flocker lists it: names and labels always there. */
type Listed = ContainerSummaryJson & { Names: string[]; Labels: Record<string, string>; Created: number }

const filters = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f))

describe('merged container list over 100 fake hosts', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    // A loaded machine may take seconds to answer 100 hosts: no host may be left out as slow here.
    ;({ engines, app, stop } = await startFakeFlock(100, undefined, {
      hostTimeout: 120_000,
      health: { timeout: 120_000 },
    }))
    engines.forEach((engine, i) => {
      engine.add(`a${String(i).padStart(3, '0')}`, `web${i}`, 1_000 + i)
      engine.add(`b${String(i).padStart(3, '0')}`, `old${i}`, 500 + i, 'exited')
    })
  })
  after(() => stop())

  test('every host answers into one list, newest first, each container labelled with its host', async () => {
    const response = await get(app, '/v1.41/containers/json')
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('x-flocker-missing-hosts'), null)
    const list = await response.json() as Listed[]
    assert.equal(list.length, 100)
    assert.equal(list[0]!.Names[0], '/web99')
    assert.equal(list[0]!.Labels['flocker.host'], 'fake100')
    assert.deepEqual(list.map((c) => c.Created), [...list.map((c) => c.Created)].sort((a, b) => b - a))
  })

  test('all and limit apply to the whole flock', async () => {
    const all = await (await get(app, '/containers/json?all=1')).json() as Listed[]
    assert.equal(all.length, 200)
    const limited = await (await get(app, '/containers/json?all=1&limit=3')).json() as Listed[]
    assert.deepEqual(limited.map((c) => c.Names[0]), ['/web99', '/web98', '/web97'])
  })

  test('node and flocker.host label filters are answered by flocker, not passed on', async () => {
    const byNode = await (await get(app, `/containers/json?filters=${filters({ node: ['fake7'] })}`)).json()
    assert.deepEqual((byNode as Listed[]).map((c) => c.Names[0]), ['/web6'])
    const byLabel = await (
      await get(app, `/containers/json?all=1&filters=${filters({ label: ['flocker.host=fake8'] })}`)
    ).json() as Listed[]
    assert.deepEqual(byLabel.map((c) => c.Names[0]), ['/web7', '/old7'])
    assert.ok(!engines[6]!.requests.some((r) => r.includes('node')), 'the node filter reached an engine')
  })
})

describe('the list cache and filters dockerd refuses', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    ;({ engines, app, stop } = await startFakeFlock(1, (engine) => engine.add('a1', 'web'), {
      listCache: true,
    }))
    await app.checkHosts()
  })
  after(() => stop())

  test('malformed filters, or a value given as a string, are asked of the engines for their error', async () => {
    for (let i = 0; i < 200; i++) {
      if ((await get(app, '/containers/json')).headers.get('x-flocker-list') === 'cached') break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.equal((await get(app, '/containers/json')).headers.get('x-flocker-list'), 'cached')
    for (const raw of ['{bad', '{"name":"web"}']) {
      engines[0]!.requests = []
      const response = await get(app, `/containers/json?filters=${encodeURIComponent(raw)}`)
      await response.body?.cancel()
      assert.equal(response.headers.get('x-flocker-list'), null, raw)
      assert.ok(engines[0]!.requests.some((r) => r.startsWith('GET /containers/json?')), raw)
    }
  })
})

describe('a list partly from memory: the synced hosts from the cache, only the others asked', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  const names = async (path: string) => {
    const response = await get(app, path)
    assert.equal(response.status, 200)
    const rows = await response.json() as Listed[]
    return { source: response.headers.get('x-flocker-list'), names: rows.map((c) => c.Names[0]), response }
  }
  /** The lists each engine was asked since the last call. */
  const listsAsked = () =>
    engines.map((engine) => {
      const lists = engine.requests.filter((r) => r.startsWith('GET /containers/json'))
      engine.requests = []
      return lists
    })
  before(async () => {
    // Rows of the three hosts interleaved in time, so that order and limit mix memory and live rows.
    ;({ engines, app, stop } = await startFakeFlock(3, (engine, i) => {
      engine.add(`a${i}`, `new${i}`, 1_000 + i)
      engine.add(`b${i}`, `old${i}`, 900 + i, 'exited')
    }, { listCache: true, hostTimeout: 300 }))
    await followed(app, engines)
    await eventually(async () => assert.equal((await names('/containers/json?all=1')).source, 'cached'))
    // fake2's events stream goes down and cannot come back: its rows may be stale, it is asked live.
    engines[1]!.refuseEvents = true
    engines[1]!.dropEvents()
    await eventually(async () => assert.match(String((await names('/containers/json')).source), /^partly/))
  })
  after(async () => {
    engines[1]!.refuseEvents = false
    await stop()
  })

  test('only the host whose stream is down is asked; rows merged, then ordered and limited', async () => {
    listsAsked()
    const all = await names('/containers/json?all=1')
    assert.equal(all.source, 'partly cached, 1 of 3 hosts asked live')
    assert.deepEqual(all.names, ['/new2', '/new1', '/new0', '/old2', '/old1', '/old0'])
    assert.deepEqual(listsAsked(), [[], ['GET /containers/json?all=1'], []])
    const limited = await names('/containers/json?all=1&limit=4')
    assert.deepEqual(limited.names, ['/new2', '/new1', '/new0', '/old2'])
    assert.deepEqual(listsAsked(), [[], ['GET /containers/json?all=1&limit=4'], []])
    const running = await names('/containers/json')
    assert.deepEqual(running.names, ['/new2', '/new1', '/new0'])
    assert.deepEqual(listsAsked(), [[], ['GET /containers/json'], []])
  })

  test('a node filter asks only the hosts it keeps', async () => {
    listsAsked()
    const onFake2 = await names(`/containers/json?all=1&filters=${filters({ node: ['fake2'] })}`)
    assert.deepEqual(onFake2.names, ['/new1', '/old1'])
    assert.deepEqual(listsAsked(), [[], ['GET /containers/json?all=1'], []])
    const onFake1 = await names(`/containers/json?all=1&filters=${filters({ node: ['fake1'] })}`)
    assert.equal(onFake1.source, 'cached')
    assert.deepEqual(listsAsked(), [[], [], []])
  })

  test('the host asked live failing: the others still answer from memory, the missing host named', async () => {
    engines[1]!.hang = true
    try {
      const { names: shown, response } = await names('/containers/json?all=1')
      assert.deepEqual(shown.filter((name) => !/1$/.test(name!)), ['/new2', '/new0', '/old2', '/old0'])
      assert.match(
        String(response.headers.get('x-flocker-missing-hosts')),
        /fake2 \(host fake2 did not answer/,
      )
    } finally {
      engines[1]!.hang = false
    }
  })
})

describe('what a list answered from the cache tells the operator', () => {
  test('the cache lookup is counted, and the request names the hosts whose containers it shows', async () => {
    const { app, stop } = await startFakeFlock(2, (engine, i) => engine.add(`c${i}`, `app${i}`), {
      listCache: true,
    })
    try {
      await app.checkHosts()
      const lookups: string[] = []
      const hosts: string[][] = []
      app.observe({
        cache: (cache, hit) => lookups.push(`${cache}:${hit ? 'hit' : 'miss'}`),
        request: (record) => hosts.push([...record.hosts]),
      })
      for (let i = 0; i < 200; i++) {
        if ((await get(app, '/containers/json')).headers.get('x-flocker-list') === 'cached') break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      lookups.length = 0
      hosts.length = 0
      const response = await get(app, '/containers/json')
      assert.equal(response.headers.get('x-flocker-list'), 'cached')
      const [row] = await response.json() as Listed[]
      assert.deepEqual(lookups, ['lists:hit'])
      assert.deepEqual(hosts.at(-1)?.sort(), ['fake1', 'fake2'])
      // A container found by ID in the cached rows: a hit too.
      lookups.length = 0
      await (await get(app, `/containers/${row!.Id}/json`)).arrayBuffer()
      assert.ok(lookups.includes('lists:hit'), JSON.stringify(lookups))
    } finally {
      await stop()
    }
  })
})

describe('a slow or failing host', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    // The live merge's own rules: with the list cache, hosts synced before the hang answer from memory.
    ;({ engines, app, stop } = await startFakeFlock(3, () => {}, { hostTimeout: 300, listCache: false }))
    engines.forEach((engine, i) => engine.add(`c${i}`, `app${i}`))
  })
  after(() => stop())

  test('a hung host is left out and named; the others answer', async () => {
    await app.checkHosts()
    engines[1]!.hang = true
    const response = await get(app, '/containers/json')
    assert.equal(response.status, 200)
    assert.match(
      response.headers.get('x-flocker-missing-hosts') ?? '',
      /fake2 \(host fake2 did not answer in time\)/,
    )
    const names = (await response.json() as Listed[]).map((c) => c.Names[0]).sort()
    assert.deepEqual(names, ['/app0', '/app2'])
    engines[1]!.hang = false
  })

  test('every host failing a list while healthy: the 503 says each failed this request, and why', async () => {
    await app.checkHosts()
    for (const engine of engines) engine.hang = true
    try {
      const response = await get(app, '/containers/json')
      assert.equal(response.status, 503)
      const { message } = await response.json() as { message: string }
      for (const name of ['fake1', 'fake2', 'fake3']) {
        const said = new RegExp(
          `${name}: healthy, did not answer this request \\(host ${name} did not answer in time\\)`,
        )
        assert.match(message, said)
      }
    } finally {
      for (const engine of engines) engine.hang = false
    }
  })

  test('an unhealthy host is named as missing and comes back by itself', async () => {
    engines[2]!.failWith = 500
    await app.checkHosts()
    assert.equal(app.flock.byName('fake3')!.status, 'unhealthy')
    const response = await get(app, '/containers/json')
    assert.match(
      response.headers.get('x-flocker-missing-hosts') ?? '',
      /fake3 \(unhealthy: fake fake3 fails\)/,
    )
    const info = await (await get(app, '/info')).json() as { Warnings: string[] }
    assert.ok(info.Warnings.some((w: string) => w.includes('fake3') && w.includes('unhealthy')))
    engines[2]!.failWith = null
    await app.checkHosts()
    assert.equal(app.flock.byName('fake3')!.status, 'healthy')
    const again = await get(app, '/containers/json')
    assert.equal(again.headers.get('x-flocker-missing-hosts'), null)
    assert.equal((await again.json() as Listed[]).length, 3)
  })
})

test('one image on two hosts is one entry; a count of -1 (not counted) stays -1, never 0', () => {
  const host = (name: string) => ({ name }) as never
  const image = (containers: number) => ({ Id: 'sha256:1', RepoTags: ['a:1'], Containers: containers })
  const [notCounted] = mergeImages([
    { host: host('one'), value: [image(-1)] },
    { host: host('two'), value: [image(-1)] },
  ])
  assert.equal(notCounted!.Containers, -1)
  const [counted] = mergeImages([
    { host: host('one'), value: [image(2)] },
    { host: host('two'), value: [image(3)] },
  ])
  assert.equal(counted!.Containers, 5)
  assert.equal(counted!.Labels!['flocker.host'], 'one,two')
})
