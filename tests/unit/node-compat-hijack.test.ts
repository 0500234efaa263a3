import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { nodeAdapter } from '../../src/runtime/node.ts'
import type { ServeEnv } from '../../src/runtime/types.ts'
import { closed, type RawEngine, rawEngine } from '../support/raw-engine.ts'

/** An app that upgrades to the raw engine and orders a splice, behind the given outer middleware. */
function appFor(engine: RawEngine, outer: (app: Hono<{ Bindings: ServeEnv }>) => void) {
  const inner = new Hono<{ Bindings: ServeEnv }>()
  inner.post('/attach', async (c) => {
    const client = nodeAdapter.connect({ kind: 'tcp', host: '127.0.0.1', port: engine.port })
    const answer = await client.upgrade({
      method: 'POST',
      path: '/attach',
      headers: c.req.raw.headers,
      body: null,
    })
    if (!answer.upgraded) return answer.response
    return c.env.hijack!.splice(answer.connection)
  })
  const app = new Hono<{ Bindings: ServeEnv }>()
  outer(app)
  app.route('/docker', inner)
  return app
}

/** The engine answers 101 at once, then echoes what it gets upper-cased and, at the client's EOF, says bye. */
function upgradingEngine() {
  return rawEngine((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n')
      socket.on('data', (chunk) => socket.write(chunk.toString().toUpperCase()))
      socket.once('end', () => socket.end('bye after your EOF'))
    })
  })
}

function sendUpgrade(port: number): Socket {
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  client.write('POST /docker/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')
  return client
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    socket.on('data', (chunk) => (text += chunk))
    socket.once('end', () => resolve(text))
  })
}

test('behind cors() and a header set after next(), the splice is carried out, with a half-close', async () => {
  const engine = await upgradingEngine()
  const app = appFor(engine, (outer) => {
    outer.use(cors())
    outer.use(async (c, next) => {
      await next()
      c.header('x-outer', 'late')
    })
  })
  const server = await nodeAdapter.serve(app.fetch, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  const port = Number(server.addresses[0]!.split(':').at(-1))
  const client = sendUpgrade(port)
  const everything = readAll(client)
  client.once('data', () => {
    client.write('hello')
    setTimeout(() => client.end(), 50)
  })
  const text = await everything
  assert.match(text, /^HTTP\/1\.1 101 UPGRADED\r\n/)
  assert.match(text, /x-outer: late\r\n/)
  assert.match(text, /access-control-allow-origin: \*\r\n/)
  assert.match(text, /\r\n\r\nHELLObye after your EOF$/)
  client.destroy()
  await server.close()
  await engine.close()
})

test('an answer middleware turned into an error is written, and the engine connection is closed', async () => {
  const engine = await upgradingEngine()
  const app = appFor(engine, (outer) => {
    outer.use(async (c, next) => {
      await next()
      c.res = new Response('{"message":"refused late"}', { status: 403 })
    })
  })
  const server = await nodeAdapter.serve(app.fetch, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  const port = Number(server.addresses[0]!.split(':').at(-1))
  const client = sendUpgrade(port)
  const text = await readAll(client)
  client.destroy()
  assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/)
  assert.match(text, /refused late/)
  await closed(await engine.nextSocket())
  await server.close()
  await engine.close()
})

test('a middleware that throws after the splice order: 500, and the engine connection is closed', async () => {
  const engine = await upgradingEngine()
  const app = appFor(engine, (outer) => {
    outer.use(async (_c, next) => {
      await next()
      throw new Error('late failure')
    })
  })
  const server = await nodeAdapter.serve(app.fetch, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  const port = Number(server.addresses[0]!.split(':').at(-1))
  const client = sendUpgrade(port)
  const text = await readAll(client)
  client.destroy()
  assert.match(text, /^HTTP\/1\.1 500 /)
  await closed(await engine.nextSocket())
  await server.close()
  await engine.close()
})
