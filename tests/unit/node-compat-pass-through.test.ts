import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import { test } from 'node:test'
import { countBytes } from '../../src/observe/middleware.ts'
import { bunAdapter } from '../../src/runtime/bun.ts'
import { NodeHostClient } from '../../src/runtime/node-compat/host-client.ts'
import { pipeCounted } from '../../src/runtime/node-compat/pass-through-answer.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
import type { FetchHandler, RuntimeAdapter } from '../../src/runtime/types.ts'

// A host's streamed answer that nobody read is piped by the adapter from the host's node stream
// into the client's ServerResponse (runtime/pass-through.ts), not read back through web streams.
// Both node:http adapters run here on Node: Bun's (native Response objects, as on Bun and Deno)
// and Node's (@hono/node-server's lightweight Response).

const MB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 7)

interface Engine {
  readonly port: number
  /** What the engine wrote, and whether it is waiting for its client to drain. */
  readonly state: { written: number; waiting: boolean }
  /** Resolves when the engine's answer closed (finished or destroyed). */
  readonly closed: Promise<void>
  stop(): void
}

/** An engine pouring `total` bytes (Infinity: until its client leaves), or cutting after `cutAt`. */
async function engine(total: number, cutAt = Infinity): Promise<Engine> {
  const state = { written: 0, waiting: false }
  let closed!: () => void
  const done = new Promise<void>((resolve) => (closed = resolve))
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-tar' })
    res.once('close', closed)
    void pour(res, total, cutAt, state)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    state,
    closed: done,
    stop: () => {
      server.close()
      server.closeAllConnections()
    },
  }
}

async function pour(res: ServerResponse, total: number, cutAt: number, state: Engine['state']) {
  while (state.written < total && !res.destroyed) {
    if (state.written >= cutAt) return void res.socket?.destroy()
    state.written += CHUNK.byteLength
    if (!res.write(CHUNK)) {
      state.waiting = true
      await new Promise<void>((resolve) => {
        const go = () => {
          res.off('drain', go).off('close', go)
          resolve()
        }
        res.on('drain', go).on('close', go)
      })
      state.waiting = false
    }
  }
  res.end()
}

/** flocker's shape: the host's answer as the handler's Response, `wrap` standing for middleware. */
async function serve(
  adapter: RuntimeAdapter,
  port: number,
  wrap: (response: Response) => Response | Promise<Response> = (r) => r,
) {
  const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port })
  const answered: Response[] = []
  const handler: FetchHandler = async () => {
    const response = await host.request({
      method: 'GET',
      path: '/export',
      headers: new Headers(),
      body: null,
    })
    answered.push(response)
    return await wrap(response)
  }
  const server = await adapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  return {
    port: Number(server.addresses[0]!.split(':').at(-1)),
    answered,
    close: async () => {
      await server.close()
      host.close()
    },
  }
}

/** A raw GET; `socket` to steer it, `text` (latin1) of everything received once the connection closed. */
function rawGet(port: number): { socket: Socket; received: { bytes: number }; text: Promise<string> } {
  const socket = connect(port, '127.0.0.1')
  const received = { bytes: 0 }
  let text = ''
  socket.setEncoding('latin1')
  socket.on('error', () => {})
  socket.write('GET /export HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  const whole = new Promise<string>((resolve) => {
    socket.on('data', (chunk: string) => {
      received.bytes += chunk.length
      if (text.length < 4096) text += chunk
    })
    socket.once('close', () => resolve(text))
  })
  return { socket, received, text: whole }
}

/** Resolves once `check` holds, looked at on each turn of the event loop (no deadline: the test's own). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

/** The observe middleware's wrapping: the answer's body counted (bytes, aborted) as it passes. */
function counting() {
  const count: { counted?: [number, boolean]; wrap: (r: Response) => Response } = {
    wrap: (r) => new Response(countBytes(r.body!, (bytes, aborted) => (count.counted = [bytes, aborted])), r),
  }
  return count
}

const adapters = [['native Response (Bun, Deno)', bunAdapter], [
  'lightweight Response (Node)',
  nodeAdapter,
]] as const

for (const [label, adapter] of adapters) {
  test(`${label}: a slow client holds the engine back, then gets every byte, counted`, async () => {
    const total = 64 * MB
    const host = await engine(total)
    const count = counting()
    const proxy = await serve(adapter, host.port, count.wrap)
    try {
      const get = rawGet(proxy.port)
      get.socket.pause()
      // Nothing reads: the engine must end up waiting, far from done (no body kept in memory).
      await until(() => host.state.waiting && host.state.written > 4 * MB)
      await new Promise((resolve) => setTimeout(resolve, 200))
      assert.ok(host.state.waiting && host.state.written < total / 2, `engine wrote ${host.state.written}`)
      get.socket.resume()
      const text = await get.text
      assert.match(text, /^HTTP\/1\.1 200 /)
      assert.match(text, /content-type: application\/x-tar/i)
      assert.ok(get.received.bytes > total, `received ${get.received.bytes}`)
      await until(() => count.counted !== undefined)
      assert.deepEqual(count.counted, [total, false])
      // Piped from the host's stream: its web body was never read.
      assert.ok(proxy.answered.every((response) => !response.bodyUsed))
    } finally {
      await proxy.close()
      host.stop()
    }
  })

  test(`${label}: an engine that breaks mid-body gives the client a cut body, counted as aborted`, async () => {
    const host = await engine(Infinity, 2 * MB)
    const count = counting()
    const proxy = await serve(adapter, host.port, count.wrap)
    try {
      const get = rawGet(proxy.port)
      const text = await get.text
      assert.match(text, /^HTTP\/1\.1 200 /)
      assert.match(text, /transfer-encoding: chunked/i)
      assert.ok(get.received.bytes < 3 * MB)
      await until(() => count.counted !== undefined)
      assert.equal(count.counted![1], true)
      assert.ok(count.counted![0] <= 2 * MB)
    } finally {
      await proxy.close()
      host.stop()
    }
  })

  test(`${label}: a client that leaves mid-stream ends the engine's answer`, async () => {
    const host = await engine(Infinity)
    const proxy = await serve(adapter, host.port)
    try {
      const get = rawGet(proxy.port)
      await until(() => get.received.bytes > MB)
      get.socket.destroy()
      await host.closed
    } finally {
      await proxy.close()
      host.stop()
    }
  })

  test(`${label}: a middleware that reads the body still gets all of it`, async () => {
    const total = 3 * MB
    const host = await engine(total)
    let read = 0
    // Reads the answer itself (a check, a rewrite), then answers with what it read.
    const proxy = await serve(adapter, host.port, async (r) => {
      const bytes = new Uint8Array(await r.arrayBuffer())
      read = bytes.byteLength
      return new Response(bytes, r)
    })
    try {
      const get = rawGet(proxy.port)
      const text = await get.text
      assert.match(text, /^HTTP\/1\.1 200 /)
      assert.equal(read, total)
      assert.match(text, new RegExp(`content-length: ${total}`, 'i'))
    } finally {
      await proxy.close()
      host.stop()
    }
  })
}

test('read outside the adapter (app.fetch in a larger router), a host answer streams as before', async () => {
  const total = 5 * MB
  const host = await engine(total)
  const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: host.port })
  try {
    const response = await client.request({
      method: 'GET',
      path: '/export',
      headers: new Headers(),
      body: null,
    })
    let bytes = 0
    let counted: [number, boolean] | undefined
    const body = countBytes(response.body!, (n, aborted) => (counted = [n, aborted]))
    const reader = body.getReader()
    for (let step = await reader.read(); !step.done; step = await reader.read()) {
      bytes += step.value.byteLength
    }
    assert.equal(bytes, total)
    assert.deepEqual(counted, [total, false])
  } finally {
    client.close()
    host.stop()
  }
})

test('a piped answer nobody counts gets no listener per chunk of its own; a counted one is counted', async () => {
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() })
  for (const counting of [false, true]) {
    const source = new PassThrough()
    let counted: [number, boolean] | undefined
    let ended = false
    pipeCounted(
      source,
      sink(),
      counting ? (bytes, aborted) => (counted = [bytes, aborted]) : undefined,
      () => (ended = true),
    )
    // pipe's own 'data' listener, and the counter's only when someone counts (a second listener
    // makes every emit copy the listener list).
    assert.equal(source.listenerCount('data'), counting ? 2 : 1)
    source.end(Buffer.alloc(1000))
    await until(() => ended)
    assert.deepEqual(counted, counting ? [1000, false] : undefined)
  }
})
