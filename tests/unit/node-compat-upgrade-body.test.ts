import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { parseChunked, upgradeRequestBody } from '../../src/runtime/node-compat/upgrade-body.ts'

/** A request and its socket as the runtimes deliver them: the body may come through either. */
function incoming(contentLength?: number) {
  const req = Object.assign(new EventEmitter(), {
    headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) },
  })
  const socket = Object.assign(new EventEmitter(), { pause() {} })
  return { req: req as unknown as IncomingMessage, socket: socket as unknown as Socket, raw: { req, socket } }
}

const text = (bytes: Uint8Array | null) => bytes && new TextDecoder().decode(bytes)
const EXEC = '{"Detach":false,"Tty":false}'

test('no declared body: null, and what came with the head is the stream', async () => {
  const { req, socket } = incoming()
  const result = await upgradeRequestBody(req, socket, Buffer.from('stdin bytes'))
  assert.equal(result.body, null)
  assert.equal(text(result.surplus[0]!), 'stdin bytes')
})

test('a body in the head (Node), with the stream after it', async () => {
  const { req, socket } = incoming(EXEC.length)
  const result = await upgradeRequestBody(req, socket, Buffer.from(EXEC + 'stdin'))
  assert.equal(text(result.body), EXEC)
  assert.equal(text(result.surplus[0]!), 'stdin')
})

test('a body split between req (Bun, Deno) and the socket (Deno) is joined in order', async () => {
  const { req, socket, raw } = incoming(EXEC.length)
  const pending = upgradeRequestBody(req, socket, Buffer.alloc(0))
  raw.req.emit('data', Buffer.from(EXEC.slice(0, 10)))
  raw.socket.emit('data', Buffer.from(EXEC.slice(10) + 'more'))
  const result = await pending
  assert.equal(text(result.body), EXEC)
  assert.equal(text(result.surplus[0]!), 'more')
  assert.equal(raw.req.listenerCount('data') + raw.socket.listenerCount('data'), 0, 'listeners removed')
})

test('a client that ends before the declared length: what came is the body', async () => {
  const { req, socket, raw } = incoming(100)
  const pending = upgradeRequestBody(req, socket, Buffer.from('{"Det'))
  raw.socket.emit('end')
  const result = await pending
  assert.equal(text(result.body), '{"Det')
  assert.deepEqual(result.surplus, [])
})

test('a body that trickles in (slow loris) is refused past the timeout and the socket closed', async () => {
  const { req, socket, raw } = incoming(100)
  let destroyed = false
  ;(raw.socket as unknown as { destroy: () => void }).destroy = () => void (destroyed = true)
  const pending = upgradeRequestBody(req, socket, Buffer.from('{"Det'), 50)
  await assert.rejects(pending, /did not arrive in time/)
  assert.ok(destroyed)
})

test('parseChunked: the empty body docker-modem sends, a split body, and a declared size past the cap', () => {
  const bytes = (text: string) => new TextEncoder().encode(text)
  const empty = parseChunked(bytes('0\r\n\r\nSTREAM'), 4096)
  assert.ok(empty && empty !== 'too large')
  assert.equal(empty.body.byteLength, 0)
  assert.equal(new TextDecoder().decode(empty.rest), 'STREAM')
  const two = parseChunked(bytes('3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n'), 4096)
  assert.ok(two && two !== 'too large')
  assert.equal(new TextDecoder().decode(two.body), 'abcde')
  assert.equal(parseChunked(bytes('3\r\nab'), 4096), null)
  assert.equal(parseChunked(bytes('6000000\r\n'), 4096), 'too large')
  assert.equal(parseChunked(bytes('zz\r\n'), 4096), 'too large')
})
