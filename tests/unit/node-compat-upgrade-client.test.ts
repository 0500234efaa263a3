import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import { test } from 'node:test'
import type { UpgradeRequest } from '../../src/runtime/types.ts'
import { upgrade, type UpgradedSocket } from '../../src/runtime/node-compat/upgrade-client.ts'
import { closed, rawEngine } from '../support/raw-engine.ts'

const attach = (extra: Partial<UpgradeRequest> = {}): UpgradeRequest => ({
  method: 'POST',
  path: '/v1.41/containers/abc/attach?stream=1&stdin=1',
  headers: new Headers({ connection: 'Upgrade', upgrade: 'tcp', 'content-length': '99' }),
  body: null,
  ...extra,
})

test('a 101 sent in two pieces, with stream bytes after it, is an upgraded connection', async () => {
  const engine = await rawEngine()
  const answer = upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach())
  const socket = await engine.nextSocket()
  const head = await engine.readUntil(socket, '\r\n\r\n')
  assert.match(head, /^POST \/v1\.41\/containers\/abc\/attach\?stream=1&stdin=1 HTTP\/1\.1\r\n/)
  assert.match(head, /host: docker\r\n/)
  assert.doesNotMatch(head, /content-length/i, 'no body: no length, not the client one')
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n')
  await new Promise((resolve) => setTimeout(resolve, 20))
  socket.write('Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst bytes')
  const result = await answer
  assert.ok(result.upgraded)
  const upgraded = result.connection as UpgradedSocket
  assert.match(new TextDecoder().decode(upgraded.head), /^HTTP\/1\.1 101 UPGRADED\r\n[^]*\r\n\r\n$/)
  const pending = Buffer.concat(upgraded.pending.map((chunk) => Buffer.from(chunk))).toString()
  assert.ok('first bytes'.startsWith(pending) && pending.length > 0, pending)
  upgraded.close()
  await closed(socket)
  await engine.close()
})

test("a refusal comes back as the engine's answer, body and status kept, connection closed", async () => {
  const engine = await rawEngine((socket) =>
    socket.once('data', () => {
      const body = '{"message":"No such container: abc"}'
      socket.write(
        `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      )
      socket.write(body)
    })
  )
  const result = await upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach())
  assert.equal(result.upgraded, false)
  if (result.upgraded) return
  assert.equal(result.response.status, 404)
  assert.equal(result.response.headers.get('content-type'), 'application/json')
  assert.deepEqual(await result.response.json(), { message: 'No such container: abc' })
  await closed(engine.sockets[0]!)
  await engine.close()
})

test('an exec start body goes with its exact length', async () => {
  const engine = await rawEngine()
  const body = new TextEncoder().encode('{"Detach":false,"Tty":false}')
  const answer = upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach({ body }))
  const socket = await engine.nextSocket()
  const sent = await engine.readUntil(socket, '"Tty":false}')
  assert.match(sent, /content-length: 28\r\n[^]*\r\n\r\n\{"Detach":false,"Tty":false\}$/)
  socket.end('HTTP/1.1 101 UPGRADED\r\n\r\n')
  const result = await answer
  assert.ok(result.upgraded)
  result.connection.close()
  await engine.close()
})

test('an engine that never answers the head fails the upgrade after the deadline and is hung up on', async () => {
  const engine = await rawEngine()
  const answer = upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach(), 200)
  await assert.rejects(answer, /no answer to the upgrade within 0.2 s/)
  await closed(engine.sockets[0]!)
  await engine.close()
})

test('a client that leaves during the handshake aborts it and the engine connection closes', async () => {
  const engine = await rawEngine()
  const left = new AbortController()
  const answer = upgrade(
    { kind: 'tcp', host: '127.0.0.1', port: engine.port },
    attach({ signal: left.signal }),
  )
  const socket = await engine.nextSocket()
  await engine.readUntil(socket, '\r\n\r\n')
  left.abort()
  await assert.rejects(answer, /the client left/)
  await closed(socket)
  await engine.close()
})

test('an engine that closes before answering is an error, not a hang', async () => {
  const engine = await rawEngine((socket) => socket.once('data', () => socket.end()))
  await assert.rejects(
    upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach()),
    /closed the connection before answering/,
  )
  await engine.close()
})

test("an exec start's head and body leave in one write, the answer read without waiting for it", async () => {
  const engine = await rawEngine()
  const written: { socket: Socket; bytes: string }[] = []
  const write = Socket.prototype.write
  Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    written.push({ socket: this, bytes: Buffer.from(chunk as Uint8Array).toString() })
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof write
  try {
    const body = new TextEncoder().encode('{"Detach":false,"Tty":false}')
    const answer = upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach({ body }))
    const socket = await engine.nextSocket()
    await engine.readUntil(socket, '"Tty":false}')
    socket.end('HTTP/1.1 101 UPGRADED\r\n\r\n')
    const result = await answer
    assert.ok(result.upgraded)
    result.connection.close()
    // A write per part left the body a turn of the event loop behind the head.
    // (The test runner writes its reports meanwhile: only the request's writes count.)
    const client = written.filter((w) =>
      !engine.sockets.includes(w.socket) && /HTTP\/1\.1|Detach/.test(w.bytes)
    )
    assert.equal(client.length, 1, client.map((w) => w.bytes).join(' | '))
    assert.match(client[0]!.bytes, /^POST [^]*\r\n\r\n\{"Detach":false,"Tty":false\}$/)
  } finally {
    Socket.prototype.write = write
    await engine.close()
  }
})

test('an engine that refuses the connection is an error naming the reason', async () => {
  const engine = await rawEngine()
  await engine.close()
  await assert.rejects(
    upgrade({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, attach()),
    /ECONNREFUSED/,
  )
})
