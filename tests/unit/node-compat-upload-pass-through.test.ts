import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { bodyCopies } from '../../src/docker/body-copies.ts'
import { bunAdapter } from '../../src/runtime/bun.ts'
import { fanOut } from '../../src/runtime/node-compat/fan-out.ts'
import { NodeHostClient } from '../../src/runtime/node-compat/host-client.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
import type { FetchHandler, RuntimeAdapter, ServeEnv } from '../../src/runtime/types.ts'

// A client's upload (load, `cp` in, build) that nothing in the app read is piped by the host transport
// from node:http's own message into the host request(s), split for a load to every host
// (runtime/pass-through.ts, node-compat/upload-pass-through.ts), not read through web streams.

const MB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 7)

interface UploadEngine {
  readonly port: number
  /** Bytes of the body read so far; `paused` stops reading it. */
  readonly state: { received: number; paused: boolean; ended: boolean; cut: boolean }
  resume(): void
  stop(): void
}

/** An engine that reads an upload's body (or holds it unread while paused), then answers its size. */
async function uploadEngine(paused = false): Promise<UploadEngine> {
  const state = { received: 0, paused, ended: false, cut: false }
  let request: IncomingMessage | undefined
  const server: Server = createServer((req, res) => {
    request = req
    if (state.paused) req.pause()
    req.on('data', (chunk: Buffer) => (state.received += chunk.byteLength))
    req.once('end', () => {
      state.ended = true
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"stream":"${state.received}"}`)
    })
    req.once('close', () => (state.cut = !state.ended))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    state,
    resume: () => {
      state.paused = false
      request?.resume()
    },
    stop: () => {
      server.close()
      server.closeAllConnections()
    },
  }
}

/** What the handler saw: the body it sent (to tell whether it was read through its web stream). */
interface Seen {
  body?: ReadableStream<Uint8Array> | null
}

/**
 * flocker's shape for a load: the upload (passable when the server offers it) copied to every engine,
 * each answer awaited; `judge` stands for a front door that reads the body first.
 */
function loadHandler(engines: readonly UploadEngine[], seen: Seen, judge = false): FetchHandler {
  return async (request: Request, env: ServeEnv) => {
    let body: ReadableStream<Uint8Array> | Uint8Array | null
    if (judge) {
      const chunks: Uint8Array[] = []
      for await (const chunk of env.bodyChunks!) chunks.push(chunk)
      body = Buffer.concat(chunks)
      assert.equal(env.passableBody?.(request), undefined, 'a body the door read is not passable')
    } else {
      body = env.passableBody?.(request) ?? request.body
    }
    seen.body = body instanceof Uint8Array ? undefined : body
    const copies = body instanceof ReadableStream ? bodyCopies(body, engines.length) : engines.map(() => body)
    const answers = await Promise.all(engines.map(async (engine, i) => {
      const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port })
      try {
        const headers = new Headers({ 'content-type': 'application/x-tar' })
        const length = request.headers.get('content-length')
        if (length) headers.set('content-length', length)
        const response = await client.request({
          method: 'POST',
          path: '/images/load',
          headers,
          body: copies[i]!,
          signal: request.signal,
        })
        return await response.text()
      } finally {
        client.close()
      }
    }))
    return Response.json(answers)
  }
}

/** A raw upload of `total` bytes; the returned `written` counts what the socket took. */
function rawUpload(port: number, total: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  const state = { written: 0, blocked: false }
  let text = ''
  socket.setEncoding('latin1')
  socket.on('error', () => {})
  socket.on('data', (chunk: string) => (text += chunk))
  const answered = new Promise<string>((resolve) => socket.once('close', () => resolve(text)))
  socket.write(
    `POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\n` +
      `Content-Length: ${total}\r\nConnection: close\r\n\r\n`,
  )
  const pour = async () => {
    while (state.written < total && !socket.destroyed) {
      const chunk = CHUNK.subarray(0, Math.min(CHUNK.byteLength, total - state.written))
      state.written += chunk.byteLength
      if (!socket.write(chunk)) {
        state.blocked = true
        await new Promise((resolve) => socket.once('drain', resolve))
        state.blocked = false
      }
    }
  }
  void pour()
  return { socket, state, answered }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

const adapters = [['native Request (Bun, Deno)', bunAdapter], [
  'lightweight Request (Node)',
  nodeAdapter,
]] as const

async function served(adapter: RuntimeAdapter, handler: FetchHandler) {
  const server = await adapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  return { port: Number(server.addresses[0]!.split(':').at(-1)), close: () => server.close() }
}

for (const [label, adapter] of adapters) {
  test(`${label}: a load to three hosts goes at the slowest one's pace, then every byte reaches each`, async () => {
    const total = 64 * MB
    const engines = [await uploadEngine(), await uploadEngine(true), await uploadEngine()]
    const seen: Seen = {}
    const proxy = await served(adapter, loadHandler(engines, seen))
    try {
      const upload = rawUpload(proxy.port, total)
      // The paused host holds everyone back: the client ends up blocked, far from done.
      await until(() => upload.state.blocked && engines[0]!.state.received > 2 * MB)
      await new Promise((resolve) => setTimeout(resolve, 200))
      assert.ok(upload.state.blocked, 'the client is held back')
      assert.ok(engines[0]!.state.received < total / 2, `host 1 read ${engines[0]!.state.received}`)
      engines[1]!.resume()
      const text = await upload.answered
      assert.match(text, /^HTTP\/1\.1 200 /)
      assert.deepEqual(engines.map((e) => e.state.received), [total, total, total])
      // Piped from the connection: the body's web stream was never read.
      assert.ok(seen.body && !seen.body.locked, 'the upload went natively')
    } finally {
      await proxy.close()
      for (const engine of engines) engine.stop()
    }
  })

  test(`${label}: a client that leaves mid-upload cuts every host request`, async () => {
    const engines = [await uploadEngine(), await uploadEngine()]
    const proxy = await served(adapter, loadHandler(engines, {}))
    try {
      const upload = rawUpload(proxy.port, 512 * MB)
      await until(() => engines.every((e) => e.state.received > MB))
      upload.socket.destroy()
      await until(() => engines.every((e) => e.state.cut))
      assert.ok(engines.every((e) => !e.state.ended))
    } finally {
      await proxy.close()
      for (const engine of engines) engine.stop()
    }
  })

  test(`${label}: a body the front door reads whole still reaches every host`, async () => {
    const total = 3 * MB
    const engines = [await uploadEngine(), await uploadEngine()]
    const proxy = await served(adapter, loadHandler(engines, {}, true))
    try {
      const text = await rawUpload(proxy.port, total).answered
      assert.match(text, /^HTTP\/1\.1 200 /)
      assert.deepEqual(engines.map((e) => e.state.received), [total, total])
    } finally {
      await proxy.close()
      for (const engine of engines) engine.stop()
    }
  })
}

test("in a user's own node:http server (handle(req, res)), an upload goes through the Request's body", async () => {
  const total = 5 * MB
  const engines = [await uploadEngine(), await uploadEngine()]
  const seen: Seen = {}
  const server = createServer(nodeAdapter.requestListener(loadHandler(engines, seen)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const text = await rawUpload((server.address() as { port: number }).port, total).answered
    assert.match(text, /^HTTP\/1\.1 200 /)
    assert.deepEqual(engines.map((e) => e.state.received), [total, total])
    assert.ok(seen.body?.locked, 'read through its web stream')
  } finally {
    server.close()
    server.closeAllConnections()
    for (const engine of engines) engine.stop()
  }
})

test('app.fetch with a Request made in-process: its web body is copied to every host', async () => {
  const total = 2 * MB
  const engines = [await uploadEngine(), await uploadEngine()]
  const seen: Seen = {}
  try {
    const request = new Request('http://flocker/images/load', {
      method: 'POST',
      headers: { 'content-length': String(total) },
      body: Buffer.alloc(total, 1),
    })
    const response = await loadHandler(engines, seen)(request, {})
    assert.equal(response.status, 200)
    assert.deepEqual(engines.map((e) => e.state.received), [total, total])
  } finally {
    for (const engine of engines) engine.stop()
  }
})

test('a copy dropped (its host failed) leaves the others every byte', async () => {
  const chunks = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 3))
  const [first, second, third] = fanOut(Readable.from(chunks), 3)
  second!.on('error', () => {}).destroy(new Error('host gone'))
  const sizes = await Promise.all([first!, third!].map(async (copy) => {
    let bytes = 0
    for await (const chunk of copy) bytes += (chunk as Buffer).byteLength
    return bytes
  }))
  assert.deepEqual(sizes, [40 * 64 * 1024, 40 * 64 * 1024])
})

test('every copy dropped destroys the source', async () => {
  const source = new Readable({ read() {} })
  const copies = fanOut(source, 2)
  for (const copy of copies) copy.destroy()
  await until(() => source.destroyed)
})
