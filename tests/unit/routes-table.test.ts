import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { type Behaviour, honoPattern, type Route, routes } from '../../src/routes/table.ts'
import { type RecordingEngine, startRecordingEngine } from '../support/recording-engine.ts'

/** `METHOD /path` for every endpoint of the v1.41 spec (extracted once into a fixture). */
const specEndpoints = readFileSync(
  new URL('../fixtures/engine-api-v1.41-endpoints.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line && !line.startsWith('#'))

const canonical = (path: string) => path.replace(/\{\w+\*?\}/g, '{}')
const table = new Set(routes.map((route) => `${route.method} ${canonical(route.path)}`))

test('the route table says what flocker does with every endpoint of API v1.41 (HEAD through GET)', () => {
  const missing = specEndpoints
    .map((endpoint) => canonical(endpoint).replace(/^HEAD /, 'GET '))
    .filter((endpoint) => !table.has(endpoint))
  assert.deepEqual(missing, [])
})

test('no endpoint is listed twice, and no HEAD row (Hono would never reach it)', () => {
  const seen = routes.map((route) => `${route.method} ${canonical(route.path)}`)
  assert.equal(new Set(seen).size, seen.length)
  assert.ok(routes.every((route) => (route.method as string) !== 'HEAD'))
})

test('downloads: the routed GETs whose answers flocker never reads or rewrites, and only those', () => {
  const downloads = routes
    .filter((route) => route.behaviour.kind === 'routed' && route.behaviour.download)
    .map((route) => `${route.method} ${route.path}`)
  assert.deepEqual(downloads, [
    'GET /containers/{id}/logs',
    'GET /containers/{id}/export',
    'GET /containers/{id}/archive',
    'GET /images/get',
    'GET /images/{name*}/get',
  ])
})

test('image names may hold slashes, other parameters may not', () => {
  assert.equal(honoPattern('/images/{name*}/json'), '/images/:name{.+}/json')
  assert.equal(honoPattern('/containers/{id}/json'), '/containers/:id/json')
})

/** A behaviour as one word: `routed container-inspect`, `every-host progress pull-targets`. */
function named(behaviour: Behaviour): string {
  switch (behaviour.kind) {
    case 'routed':
      return `routed ${behaviour.variant}`
    case 'every-host':
      return `every-host ${behaviour.merge} ${behaviour.targets}`
    default:
      return behaviour.kind
  }
}

const rowOf = (method: string, path: string): Route => {
  const route = routes.find((r) => r.method === method && r.path === path)
  assert.ok(route, `${method} ${path} is in the table`)
  return route
}

test('every special case has a name in the table', () => {
  const special: Record<string, string> = {
    'GET /containers/{id}/json': 'routed container-inspect',
    'POST /containers/{id}/exec': 'routed exec-create',
    'POST /containers/{id}/start': 'routed start-hook',
    'POST /images/{name*}/tag': 'routed every-holder',
    'DELETE /images/{name*}': 'routed every-holder',
    'DELETE /networks/{id}': 'routed every-holder',
    'POST /images/{name*}/push': 'routed push-by-tag',
    'POST /networks/{id}/connect': 'routed follows-container',
    'POST /networks/{id}/disconnect': 'routed follows-container',
    'POST /containers/{id}/rename': 'routed unique-name',
    'GET /images/get': 'routed one-holder',
    'GET /images/{name*}/json': 'routed image-inspect',
    'DELETE /containers/{id}': 'routed container-remove',
    'POST /images/create': 'every-host progress pull-targets',
  }
  for (const [endpoint, behaviour] of Object.entries(special)) {
    const [method, path] = endpoint.split(' ') as [string, string]
    assert.equal(named(rowOf(method, path).behaviour), behaviour, endpoint)
  }
  // Everything else routed is plain: sent as it came to the owner.
  const others = routes.filter((r) => r.behaviour.kind === 'routed' && !special[`${r.method} ${r.path}`])
  assert.ok(others.length > 20)
  for (const route of others) {
    assert.equal(named(route.behaviour), 'routed plain', `${route.method} ${route.path}`)
  }
})

/** Two engines that hold what the tests below ask about, recording what reaches them. */
describe('what a request to each behaviour does, against two recording engines', () => {
  let one: RecordingEngine
  let two: RecordingEngine
  let app: FlockerApp
  const IMAGE = 'sha256:' + 'e'.repeat(64)
  const CONTAINER = 'c'.repeat(64)
  const send = (method: string, path: string, body?: unknown) =>
    app.fetch(
      new Request(`http://flocker${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      }),
      {},
    )
  // Requests the app makes of its own accord (the list cache's and name index's lists and events
  // streams, which start once checkHosts ends, and their retries) are not the ones under test.
  const background = new Set(['GET /containers/json', 'GET /events', 'GET /_ping', 'GET /images/json'])
  const seen = (engine: RecordingEngine) =>
    engine.seen.map((s) => `${s.method} ${s.url.split('?')[0]}`).filter((s) => !background.has(s))
  const forget = () => {
    one.seen.length = 0
    two.seen.length = 0
  }

  before(async () => {
    ;[one, two] = await Promise.all([startRecordingEngine(), startRecordingEngine()])
    for (const [engine, net] of [[one, 'n1'.repeat(32)], [two, 'n2'.repeat(32)]] as const) {
      engine.route((req, res) => {
        const path = (req.url ?? '').split('?')[0]!
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
          return true
        }
        if (/^\/images\/busybox(:latest|:1)?\/json$/.test(path)) return json(200, { Id: IMAGE })
        if (path === '/images/busybox' && req.method === 'DELETE') return json(200, [{ Untagged: 'busybox' }])
        if (path === '/images/busybox/tag' || path === '/images/busybox/push') return json(201, {})
        if (path === '/networks/backend') return json(200, { Id: net, Name: 'backend' })
        if (path === `/networks/${net}/connect`) return json(200, {})
        if (engine !== one) return json(404, { message: 'No such container' })
        if (path === '/containers/web/json' || path === `/containers/${CONTAINER}/json`) {
          return json(200, { Id: CONTAINER, Name: '/web', Config: {} })
        }
        if (path === `/containers/${CONTAINER}/exec`) return json(201, { Id: 'a'.repeat(64) })
        if (path === `/exec/${'a'.repeat(64)}/json`) return json(200, { ID: 'a'.repeat(64) })
        if (path === `/containers/${CONTAINER}/archive`) {
          res.writeHead(200, { 'x-docker-container-path-stat': 'e30=' }).end()
          return true
        }
      })
    }
    app = createFlocker({ hosts: [`one=${one.url}`, `two=${two.url}`] })
    await app.checkHosts()
  })
  after(async () => {
    await app.close()
    await Promise.all([one.close(), two.close()])
  })

  test('plain: sent to the owner alone, the reference replaced by its ID', async () => {
    forget()
    const response = await send('HEAD', '/containers/web/archive?path=/etc')
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('x-docker-container-path-stat'), 'e30=')
    // HEAD (docker cp's stat) reaches the owner as HEAD, through the GET row.
    assert.deepEqual(seen(one).at(-1), `HEAD /containers/${CONTAINER}/archive`)
    assert.ok(!seen(two).some((s) => s.includes('archive')))
  })

  test('container-inspect: answered from the lookup, one request to the owner, host shown', async () => {
    forget()
    const body = await (await send('GET', '/containers/web/json')).json() as {
      Node: { Name: string }
      Config: { Labels: Record<string, string> }
    }
    assert.equal(body.Node.Name, 'one')
    assert.equal(body.Config.Labels['flocker.host'], 'one')
    assert.deepEqual(seen(one), ['GET /containers/web/json'])
  })

  test('exec-create: the exec is remembered, so its inspect goes to the owner alone', async () => {
    await send('POST', '/containers/web/exec', { Cmd: ['true'] })
    forget()
    assert.equal((await send('GET', `/exec/${'a'.repeat(64)}/json`)).status, 200)
    assert.deepEqual(seen(two), [])
  })

  test('every-holder: tag and rmi reach every host that has the image; rmi lists are joined', async () => {
    forget()
    assert.equal((await send('POST', '/images/busybox/tag?repo=mine')).status, 201)
    assert.ok(seen(one).includes('POST /images/busybox/tag'))
    assert.ok(seen(two).includes('POST /images/busybox/tag'))
    const removed = await (await send('DELETE', '/images/busybox')).json()
    assert.deepEqual(removed, [{ Untagged: 'busybox' }, { Untagged: 'busybox' }])
  })

  test('push-by-tag: the holder is found by name:tag', async () => {
    forget()
    assert.equal((await send('POST', '/images/busybox/push?tag=1')).status, 201)
    assert.ok(seen(one).includes('GET /images/busybox:1/json'))
  })

  test("follows-container: network connect goes to the container's host, with that host's network ID", async () => {
    forget()
    assert.equal((await send('POST', '/networks/backend/connect', { Container: 'web' })).status, 200)
    const connect = one.seen.find((s) => s.url.endsWith('/connect'))!
    assert.equal(connect.url, `/networks/${'n1'.repeat(32)}/connect`)
    assert.equal(JSON.parse(connect.body.toString()).Container, CONTAINER)
    assert.ok(!two.seen.some((s) => s.url.endsWith('/connect')))
  })

  test('system ping: HEAD /_ping (docker CLI 28) answers the headers alone', async () => {
    const response = await send('HEAD', '/_ping')
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('api-version'), '1.41')
    assert.equal(await response.text(), '')
  })

  test('path parameters are encoded on their way upstream', async () => {
    forget()
    await send('GET', '/volumes/a%3Fb%23c')
    assert.ok(seen(one).includes('GET /volumes/a%3Fb%23c'), seen(one).join(', '))
  })
})
