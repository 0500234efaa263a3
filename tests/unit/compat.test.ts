// deno-lint-ignore-file ban-types -- the original API is typed with plain callbacks
import assert from 'node:assert/strict'
import { createServer, type Server as HttpServer } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { callbackToPromise, promiseToCallback } from '../../src/compat/callbacks.ts'
import { hooksFrom } from '../../src/compat/hooks.ts'
import flocker, { type Flocker } from '../../src/compat/index.ts'
import { Flock } from '../../src/flock/flock.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'

describe('callbackToPromise', () => {
  test('next(null, value) resolves with the value', async () => {
    assert.equal(await callbackToPromise<number>((next) => next(null, 42)), 42)
    assert.equal(await callbackToPromise((next) => setTimeout(() => next(), 1)), undefined)
  })

  test('a string passed to next becomes an Error with that message', async () => {
    await assert.rejects(callbackToPromise((next) => next('no room')), { message: 'no room' })
  })

  test('an Error passed to next, thrown, or rejected by an async listener, rejects', async () => {
    const error = new Error('passed')
    await assert.rejects(callbackToPromise((next) => next(error)), (e) => e === error)
    await assert.rejects(
      callbackToPromise(() => {
        throw new Error('thrown')
      }),
      { message: 'thrown' },
    )
    await assert.rejects(callbackToPromise(() => Promise.reject(new Error('async'))), { message: 'async' })
    await assert.rejects(callbackToPromise((next) => next({ message: 'shaped' })), { message: 'shaped' })
  })

  test('only the first call of next counts', async () => {
    assert.equal(
      await callbackToPromise<number>((next) => {
        next(null, 1)
        next(new Error('late'))
        next(null, 2)
      }),
      1,
    )
  })

  test('promiseToCallback calls back once, outside the promise chain', async () => {
    const calls: unknown[][] = []
    await new Promise<void>((resolve) =>
      promiseToCallback(Promise.resolve('ok'), (...args) => {
        calls.push(args)
        resolve()
      })
    )
    await new Promise<void>((resolve) =>
      promiseToCallback(Promise.reject(new Error('bad')), (...args) => {
        calls.push(args)
        resolve()
      })
    )
    assert.deepEqual(calls[0], [null, 'ok'])
    assert.equal((calls[1]![0] as Error).message, 'bad')
  })
})

describe('hooksFrom: listeners as typed hooks', () => {
  const flock = new Flock(detectRuntime(), [
    { name: 'node1', url: '127.0.0.1:2375' },
    { name: 'node2', url: 'tcp://127.0.0.1:2376' },
  ])
  const hosts = flock.all
  const hooks = (listeners: Record<string, Function[]>) =>
    hooksFrom((event) => listeners[event] ?? [], () => [])

  test('no listener: no route, map or start hook (the scheduler and the bodies stay as they are)', () => {
    const none = hooks({})
    assert.equal(none.route, undefined)
    assert.equal(none.map, undefined)
    assert.equal(none.start, undefined)
  })

  test('route answers a server by hostname, by address, or a name', async () => {
    const answer = (choice: unknown) =>
      hooks({ route: [(_info: unknown, next: Function) => next(null, choice)] }).route!({ image: 'x' }, hosts)
    assert.equal(await answer({ hostname: 'node2', docker: 'elsewhere:1' }), hosts[1])
    assert.equal(await answer({ hostname: 'renamed', docker: '127.0.0.1:2376' }), hosts[1])
    assert.equal(await answer('node1'), hosts[0])
    assert.equal(await answer('127.0.0.1:2375'), hosts[0])
    assert.equal(await answer(null), undefined)
    assert.equal(await answer({ hostname: 'nodeX', docker: '10.0.0.9:2375' }), 'nodeX')
  })

  test('route sees name, image and the container body it may change', async () => {
    const container = { Image: 'busybox', Env: [] as string[] }
    const hook = hooks({
      route: [(info: { name: string; container: { Env: string[] } }, next: Function) => {
        info.container.Env.push('ROUTED=1')
        next(null, info.name === 'web2' ? 'node2' : 'node1')
      }],
    }).route!
    assert.equal(await hook({ name: 'web2', image: 'busybox', container }, hosts), hosts[1])
    assert.deepEqual(container.Env, ['ROUTED=1'])
  })

  test('map listeners run in order; in-place changes and returned bodies both count', async () => {
    const map = hooks({
      map: [
        (_name: string, container: { Env: string[] }, _image: unknown, next: Function) => {
          container.Env.push('A=1')
          next()
        },
        (name: string, container: { Env: string[] }, image: { Id: string }, next: Function) =>
          next(null, { ...container, Env: [...container.Env, `B=${name}:${image.Id}`] }),
      ],
    }).map!
    const result = await map('web', { Image: 'busybox', Env: [] }, { Id: 'sha' })
    assert.deepEqual(result, { Image: 'busybox', Env: ['A=1', 'B=web:sha'] })
  })

  test('an error from map or route rejects with its message', async () => {
    const failing = hooks({
      map: [(_n: string, _c: unknown, _i: unknown, next: Function) => next('map says no')],
      route: [() => {
        throw new Error('route says no')
      }],
    })
    await assert.rejects(Promise.resolve(failing.map!('web', {}, {})), { message: 'map says no' })
    await assert.rejects(Promise.resolve(failing.route!({ image: 'x' }, hosts)), { message: 'route says no' })
  })

  test('start: with no start body, the boot record is the HostConfig, read-only', async () => {
    const container = { Name: '/web', HostConfig: { Privileged: false } }
    const seen: unknown[] = []
    const reading = hooks({
      start: [(_n: string, _c: unknown, _i: unknown, boot: Record<string, unknown>, next: Function) => {
        seen.push(boot.Privileged)
        next()
      }],
    }).start!
    assert.equal(await reading('web', container, {}, {}), undefined)
    assert.deepEqual(seen, [false])
    const changing = hooks({
      start: [(_n: string, _c: unknown, _i: unknown, boot: Record<string, unknown>, next: Function) => {
        boot.Privileged = true
        next()
      }],
    }).start!
    await assert.rejects(Promise.resolve(changing('web', container, {}, {})), /map listener/)
    assert.equal(container.HostConfig.Privileged, false)
  })

  test('start: a start body the client sent is the boot record, and the hook may change it', async () => {
    const start = hooks({
      start: [(_n: string, _c: unknown, _i: unknown, boot: Record<string, unknown>, next: Function) => {
        boot.Extra = 1
        next()
      }],
    }).start!
    assert.deepEqual(await start('web', {}, {}, { Sent: true }), { Sent: true, Extra: 1 })
  })
})

/** A fake engine: enough of the API for a create and a start, recording what it was sent. */
function fakeEngine() {
  const received: { method: string; url: string; body: string }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, body })
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      const path = req.url!.replace(/^\/v[\d.]+/, '').split('?')[0]!
      if (path === '/info') return json(200, { Name: 'fake', Containers: 0 })
      if (path === '/version') return json(200, { ApiVersion: '1.41', Version: '20.10' })
      if (path.startsWith('/images/')) return json(200, { Id: 'sha256:img', Config: { Cmd: ['sh'] } })
      if (path === '/containers/create') return json(201, { Id: 'c0ffee', Warnings: [] })
      if (path === '/containers/c0ffee/json') {
        return json(200, {
          Id: 'c0ffee',
          Name: '/web1',
          Image: 'sha256:img',
          HostConfig: { Privileged: false },
        })
      }
      if (path === '/containers/c0ffee/start') return res.writeHead(204).end()
      json(404, { message: `No such container: ${path}` })
    })
  })
  return { server, received }
}

describe('the facade end to end against a fake engine (app.fetch)', () => {
  const engine = fakeEngine()
  let address = ''
  let dockers: Flocker
  before(async () => {
    await new Promise<void>((resolve) => engine.server.listen(0, '127.0.0.1', resolve))
    address = `127.0.0.1:${(engine.server.address() as { port: number }).port}`
  })
  after(async () => {
    await dockers?.close()
    ;(engine.server as HttpServer).close()
  })

  const create = (name?: string) =>
    dockers.app.fetch(
      new Request(`http://flocker/v1.41/containers/create${name ? `?name=${name}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Image: 'busybox', Env: [] }),
      }),
    )

  test('list (old shape), route (old shape) and map reach the engine', async () => {
    dockers = flocker()
    dockers.on('list', (next: Function) => next(null, [{ hostname: 'node1', docker: address }]))
    dockers.on(
      'route',
      (_info: unknown, next: Function) => next(null, { hostname: 'node1', docker: address }),
    )
    dockers.on('map', (_name: string, container: { Env: string[] }, _image: unknown, next: Function) => {
      container.Env.push('TESTAPPLES=20')
      next()
    })
    const response = await create('web1')
    assert.equal(response.status, 201, await response.clone().text())
    const sent = engine.received.find((r) => r.url.includes('/containers/create'))!
    assert.deepEqual(JSON.parse(sent.body).Env, ['TESTAPPLES=20'])
  })

  test('names are required, as in the original', async () => {
    const response = await create()
    assert.equal(response.status, 400)
    assert.match((await response.json()).message, /--name/)
  })

  test('an error passed to next reaches the client as its message', async () => {
    dockers.removeAllListeners('route')
    dockers.on('route', (_info: unknown, next: Function) => next('no room at the inn'))
    const response = await create('web2')
    assert.equal(response.status, 500)
    assert.match((await response.json()).message, /no room at the inn/)
  })

  test('an error thrown in map reaches the client as its message', async () => {
    dockers.removeAllListeners('route')
    dockers.removeAllListeners('map')
    dockers.on('map', () => {
      throw new Error('stub name map')
    })
    const response = await create('web3')
    assert.equal(response.status, 500)
    assert.match((await response.json()).message, /stub name map/)
  })

  test('start sees the container, its image and the boot record; its error refuses the start', async () => {
    const seen: unknown[] = []
    dockers.on(
      'start',
      (
        name: string,
        container: { Id: string },
        image: { Config: { Cmd: string[] } },
        boot: Record<string, unknown>,
        next: Function,
      ) => {
        seen.push([name, container.Id, image.Config.Cmd[0], boot.Privileged])
        next(seen.length > 1 ? new Error('not twice') : null)
      },
    )
    const start = () =>
      dockers.app.fetch(new Request('http://flocker/v1.41/containers/c0ffee/start', { method: 'POST' }))
    assert.equal((await start()).status, 204)
    assert.deepEqual(seen, [['web1', 'c0ffee', 'sh', false]])
    const refused = await start()
    assert.equal(refused.status, 500)
    assert.match((await refused.json()).message, /not twice/)
  })

  test('find answers the server from the list, in the old shape', async () => {
    const found = await new Promise((resolve, reject) =>
      dockers.find('c0ffee', (err, server) => err ? reject(err) : resolve(server))
    )
    assert.deepEqual(found, { hostname: 'node1', docker: address })
    const missing = await new Promise((resolve) => dockers.find('nothing', (_err, server) => resolve(server)))
    assert.equal(missing, undefined)
  })

  test('list may answer the oldest form, a comma-separated string of addresses', async () => {
    const old = flocker()
    old.on('list', (next: Function) => next(null, `${address}, 127.0.0.1:1`))
    await old.app.refreshHosts()
    assert.deepEqual(old.app.flock.all.map((host) => host.address), [`tcp://${address}`, 'tcp://127.0.0.1:1'])
    await old.close()
  })
})

describe('the facade is a node EventEmitter', () => {
  test('off() removes a once() listener; a once() hook listener answers once', async () => {
    const dockers = flocker()
    const listener = () => {}
    dockers.once('route', listener)
    assert.equal(dockers.listenerCount('route'), 1)
    dockers.off('route', listener)
    assert.equal(dockers.listenerCount('route'), 0)
    let calls = 0
    dockers.once('route', (_info: unknown, next: (e: unknown, v: string) => void) => {
      calls++
      next(null, 'node1')
    })
    const hooks = hooksFrom((event) => dockers.rawListeners(event), () => Promise.resolve([]))
    await hooks.route!({ kind: 'create', name: 'x', image: 'busybox' } as never, [])
    assert.equal(calls, 1)
    assert.equal(hooks.route, undefined, 'gone after its one call')
  })
})
