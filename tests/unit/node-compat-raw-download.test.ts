import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { connect, Socket } from 'node:net'
import { test } from 'node:test'
import { countBytes } from '../../src/observe/middleware.ts'
import { bunAdapter } from '../../src/runtime/bun.ts'
import { denoAdapter } from '../../src/runtime/deno.ts'
import { NodeHostClient } from '../../src/runtime/node-compat/host-client.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
import { RawDownload } from '../../src/runtime/node-compat/raw-download.ts'
import type { FetchHandler, HostRequest, RuntimeAdapter } from '../../src/runtime/types.ts'
import { closed, pourChunked, rawEngine } from '../support/raw-engine.ts'

// Downloads (HostRequest.download) on a connection of their own, forwarded by the serving adapter
// with the engine's own framing (node-compat/raw-download.ts), here against an engine whose bytes the
// test writes itself. Node's and Deno's quirks run here on Node (Deno's own server: tests/e2e).

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n' +
  'Transfer-Encoding: chunked\r\n\r\n'
/** Frames no node:http would write: leading zeros, an extension, a trailer. */
const FRAMED = '0005\r\nhello\r\n7;ext=1\r\n, world\r\n' + `3e8\r\n${'x'.repeat(1000)}\r\n` +
  '0\r\nX-Trailer: 1\r\n\r\n'
const DECODED = 'hello, world' + 'x'.repeat(1000)

/** An engine that answers every request on a connection with `answer`, then (`close`) closes. */
async function scriptedEngine(answer: (socket: Socket) => unknown) {
  const engine = await rawEngine((socket) => {
    let head = ''
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      requests.push(head)
      void answer(socket)
    }
    socket.on('data', onData)
  })
  const requests: string[] = []
  return Object.assign(engine, { requests })
}

/** flocker's shape: a handler that sends a download to the engine; `wrap` stands for middleware. */
async function serve(
  adapter: RuntimeAdapter,
  port: number,
  wrap: (response: Response) => Response | Promise<Response> = (r) => r,
  extra: Partial<HostRequest> = {},
) {
  const quirk = adapter !== bunAdapter
  const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port }, {}, quirk)
  const handler: FetchHandler = async (request) => {
    if (new URL(request.url).pathname === '/_ping') return new Response('OK')
    const response = await host.request({
      method: request.method,
      path: '/containers/c/logs?stdout=1',
      headers: new Headers(),
      body: null,
      download: true,
      ...extra,
    })
    return await wrap(response)
  }
  const server = await adapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  return {
    port: Number(server.addresses[0]!.split(':').at(-1)),
    close: async () => {
      await server.close()
      host.close()
    },
  }
}

/** A client connection that sends `heads` one after the other and collects every byte (latin1). */
function client(port: number) {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  const state = { text: '', closed: false }
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => (state.text += chunk))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return { socket, state, closed, send: (head: string) => socket.write(head) }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5))
}

const GET = 'GET /logs HTTP/1.1\r\nHost: x\r\n\r\n'
const bodyAfterHead = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4)

// Node's last: its adapter installs @hono/node-server's Response class in place of the global one.
// Bun's quirks: the same connection to the engine, the body written decoded (its server frames it).
for (const [label, adapter] of [['Deno', denoAdapter], ['Bun', bunAdapter], ['Node', nodeAdapter]] as const) {
  const raw = adapter !== bunAdapter
  test(`${label}: a download goes out ${raw ? 'as the engine framed it' : 'whole'}, and the connection is kept alive`, async () => {
    const engine = await scriptedEngine((socket) => socket.write(HEAD + FRAMED))
    const proxy = await serve(adapter, engine.port)
    try {
      const get = client(proxy.port)
      get.send(GET)
      // Any framing's last line ends with a blank line; the data has none.
      await until(() =>
        get.state.text.includes('\r\n\r\n') && bodyAfterHead(get.state.text).endsWith('\r\n\r\n')
      )
      assert.match(get.state.text, /^HTTP\/1\.1 200 OK\r\n/)
      assert.match(get.state.text, /\r\ntransfer-encoding: chunked\r\n/i)
      assert.match(get.state.text, /\r\ncontent-type: application\/vnd\.docker\.raw-stream\r\n/i)
      if (raw) assert.equal(bodyAfterHead(get.state.text), FRAMED)
      else assert.equal(decodeChunks(bodyAfterHead(get.state.text)).join(''), DECODED)
      // The engine was asked to close, and is closed at the body's end.
      assert.match(engine.requests[0]!, /\r\nconnection: close\r\n/i)
      await closed(engine.sockets[0]!)
      // The next request on the same client connection is answered.
      get.state.text = ''
      get.send('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n')
      await until(() => get.state.text.endsWith('OK'))
      assert.match(get.state.text, /^HTTP\/1\.1 200 /)
      assert.equal(get.state.closed, false)
      get.socket.destroy()
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: a download of known length goes out with it, byte for byte`, async () => {
    const body = Buffer.alloc(300 * 1024, 'ab').toString('latin1')
    const engine = await scriptedEngine((socket) =>
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      )
    )
    const proxy = await serve(adapter, engine.port)
    try {
      const get = client(proxy.port)
      get.send(GET)
      await until(() => get.state.text.length > body.length && get.state.text.endsWith(body))
      assert.match(get.state.text, new RegExp(`\r\ncontent-length: ${body.length}\r\n`, 'i'))
      assert.equal(bodyAfterHead(get.state.text), body)
      get.socket.destroy()
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: an engine cut mid-chunk cuts the client's connection, counted as aborted`, async () => {
    const engine = await scriptedEngine((socket) => {
      socket.write(HEAD + '0005\r\nhello\r\n3e8\r\nxxx')
      setTimeout(() => socket.destroy(), 50)
    })
    let counted: [number, boolean] | undefined
    const proxy = await serve(
      adapter,
      engine.port,
      (r) => new Response(countBytes(r.body!, (bytes, aborted) => (counted = [bytes, aborted])), r),
    )
    try {
      const get = client(proxy.port)
      get.send(GET)
      await get.closed
      // What came is the engine's, and no terminator: the client knows the body is cut.
      const body = bodyAfterHead(get.state.text)
      if (raw) assert.equal(body, '0005\r\nhello\r\n3e8\r\nxxx')
      else assert.ok(!body.endsWith('0\r\n\r\n') && decodeChunks(body).join('') === 'helloxxx', body)
      await until(() => counted !== undefined)
      assert.deepEqual(counted, [8, true])
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: a client that leaves mid-download closes the engine's connection`, async () => {
    // An engine that pours chunks until its client goes.
    const engine = await scriptedEngine((socket) => pourChunked(socket, HEAD))
    const proxy = await serve(adapter, engine.port)
    try {
      const get = client(proxy.port)
      get.send(GET)
      await until(() => get.state.text.length > 1024 * 1024)
      get.socket.destroy()
      await closed(engine.sockets[0]!)
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: a client that does not read holds the engine back, then gets every byte`, async () => {
    const total = 64 * 1024 * 1024
    const pour = { written: 0, waiting: false }
    const engine = await scriptedEngine((socket) => {
      socket.write(HEAD)
      const chunk = `10000\r\n${'z'.repeat(0x10000)}\r\n`
      const more = () => {
        pour.waiting = false
        while (pour.written < total) {
          pour.written += 0x10000
          if (!socket.write(chunk)) return void (pour.waiting = true)
        }
        socket.end('0\r\n\r\n')
      }
      socket.on('drain', more)
      more()
    })
    const proxy = await serve(adapter, engine.port)
    try {
      const get = client(proxy.port)
      get.socket.pause()
      get.send(GET)
      // Nothing reads: the engine must end up waiting, far from done (no body kept in memory).
      await until(() => pour.waiting && pour.written > 4 * 1024 * 1024)
      await new Promise((resolve) => setTimeout(resolve, 200))
      assert.ok(pour.waiting && pour.written < total / 2, `engine wrote ${pour.written}`)
      get.socket.resume()
      await until(() => get.state.text.endsWith('\r\n0\r\n\r\n'))
      const body = bodyAfterHead(get.state.text)
      if (raw) assert.equal(body.length, total / 0x10000 * (0x10000 + 9) + 5)
      else assert.equal(decodeChunks(body).join('').length, total)
      get.socket.destroy()
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: a trickling engine (logs -f): each line reaches the client before the next is sent`, async () => {
    const lines = ['one\n', 'two\n', 'three\n']
    let get!: ReturnType<typeof client>
    const engine = await scriptedEngine(async (socket) => {
      socket.write(HEAD)
      // The next line only once the client has this one: a line held back would stall here.
      for (const line of lines) {
        socket.write(`${line.length.toString(16)}\r\n${line}\r\n`)
        await until(() => get.state.text.includes(line))
      }
      socket.write('0\r\n\r\n')
    })
    const proxy = await serve(adapter, engine.port)
    try {
      get = client(proxy.port)
      get.send(GET)
      await until(() => get.state.text.endsWith('0\r\n\r\n'))
      assert.equal(bodyAfterHead(get.state.text), '4\r\none\n\r\n4\r\ntwo\n\r\n6\r\nthree\n\r\n0\r\n\r\n')
      get.socket.destroy()
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: a client gone before the answer is ready closes the engine's connection`, async () => {
    const engine = await scriptedEngine((socket) => pourChunked(socket, HEAD))
    let left!: () => void
    const gone = new Promise<void>((resolve) => (left = resolve))
    // The answer goes out only after the client left (a slow middleware, a busy loop).
    const proxy = await serve(adapter, engine.port, async (r) => {
      await gone
      await new Promise((resolve) => setTimeout(resolve, 50))
      return r
    })
    try {
      const get = client(proxy.port)
      get.send(GET)
      await until(() => engine.requests.length === 1)
      get.socket.destroy()
      left()
      await closed(engine.sockets[0]!)
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: a middleware that reads the body gets the decoded bytes`, async () => {
    const engine = await scriptedEngine((socket) => socket.write(HEAD + FRAMED))
    let read = ''
    const proxy = await serve(adapter, engine.port, async (r) => {
      read = await r.text()
      return new Response(read, r)
    })
    try {
      const get = client(proxy.port)
      get.send(GET)
      await until(() => get.state.text.endsWith(DECODED))
      assert.equal(read, DECODED)
      get.socket.destroy()
    } finally {
      await proxy.close()
      await engine.close()
    }
  })

  test(`${label}: an HTTP/1.0 client gets the decoded body, ended by the close`, async () => {
    const engine = await scriptedEngine((socket) => socket.write(HEAD + FRAMED))
    const proxy = await serve(adapter, engine.port)
    try {
      const get = client(proxy.port)
      get.send('GET /logs HTTP/1.0\r\nHost: x\r\n\r\n')
      await get.closed
      assert.equal(bodyAfterHead(get.state.text), DECODED)
      assert.doesNotMatch(get.state.text, /transfer-encoding/i)
    } finally {
      await proxy.close()
      await engine.close()
    }
  })
}

test('read outside the adapter (app.fetch in a larger router), a download streams decoded', async () => {
  const engine = await scriptedEngine((socket) => socket.write(HEAD + FRAMED))
  const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, {}, true)
  try {
    const response = await host.request({
      method: 'GET',
      path: '/containers/c/logs',
      headers: new Headers(),
      body: null,
      download: true,
    })
    assert.equal(response.headers.get('content-type'), 'application/vnd.docker.raw-stream')
    assert.equal(response.headers.has('transfer-encoding'), false)
    assert.equal(await response.text(), DECODED)
  } finally {
    host.close()
    await engine.close()
  }
})

test('a broken chunk size fails the body, read or forwarded', async () => {
  const engine = await scriptedEngine((socket) => socket.write(HEAD + '5\r\nhello\r\nzz\r\n'))
  const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, {}, true)
  try {
    const request = { method: 'GET', path: '/logs', headers: new Headers(), body: null, download: true }
    const response = await host.request(request)
    await assert.rejects(response.text(), /chunked body is broken/)
    await closed(engine.sockets[0]!)
  } finally {
    host.close()
    await engine.close()
  }
})

test("a frozen engine: the request's abort ends the wait for the head", async () => {
  const engine = await scriptedEngine(() => {})
  const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, {}, true)
  try {
    const abort = new AbortController()
    const request = { method: 'GET', path: '/logs', headers: new Headers(), body: null, download: true }
    const answer = host.request({ ...request, signal: abort.signal })
    await until(() => engine.requests.length === 1)
    abort.abort(new Error('it stopped answering'))
    await assert.rejects(answer, /it stopped answering/)
    await closed(engine.sockets[0]!)
  } finally {
    host.close()
    await engine.close()
  }
})

test('an engine refusal (small, of known length) comes whole; HEAD takes the usual path', async () => {
  const refusal = '{"message":"No such container: c"}'
  const engine = await scriptedEngine((socket) =>
    socket.end(
      `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${refusal.length}\r\n\r\n${refusal}`,
    )
  )
  const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, {}, true)
  try {
    const request = { method: 'GET', path: '/logs', headers: new Headers(), body: null, download: true }
    const response = await host.request(request)
    assert.equal(response.status, 404)
    assert.equal(await response.text(), refusal)
    assert.match(engine.requests[0]!, /\r\nconnection: close\r\n/i)
    // node:http's client: no `Connection: close` of its own (a kept-alive agent).
    await (await host.request({ ...request, method: 'HEAD' })).text()
    assert.doesNotMatch(engine.requests[1]!, /\r\nconnection: close\r\n/i)
  } finally {
    host.close()
    await engine.close()
  }
})

for (const rawWritable of [true, false]) {
  test(`a small answer cut before its length is an error, not a short answer (raw writes ${rawWritable})`, async () => {
    const engine = await scriptedEngine((socket) =>
      socket.end(
        'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"mess',
      )
    )
    const host = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port }, {}, rawWritable)
    try {
      const request = { method: 'GET', path: '/logs', headers: new Headers(), body: null, download: true }
      await assert.rejects(host.request(request))
      await assert.rejects(host.request({ ...request, whole: true }))
    } finally {
      host.close()
      await engine.close()
    }
  })
}

// Bun's ServerResponse frames every write itself: its downloads take their own connection too, and go
// out decoded, one write (one chunk) per read of the engine's connection instead of one per engine chunk.
test('Bun: a download goes on a connection of its own and out decoded, many engine chunks to a write', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`)
  const framed = lines.map((line) => `${line.length.toString(16)}\r\n${line}\r\n`).join('') + '0\r\n\r\n'
  const engine = await scriptedEngine((socket) => socket.write(HEAD + framed))
  const proxy = await serve(bunAdapter, engine.port)
  try {
    const get = client(proxy.port)
    get.send(GET)
    await until(() => get.state.text.endsWith('\r\n0\r\n\r\n'))
    assert.match(engine.requests[0]!, /\r\nconnection: close\r\n/i)
    const body = bodyAfterHead(get.state.text)
    const chunks = decodeChunks(body)
    assert.equal(chunks.join(''), lines.join(''))
    // One read of the engine's 200 chunks is a handful of writes, not 200.
    assert.ok(chunks.length < 10, `${chunks.length} chunks written`)
    await closed(engine.sockets[0]!)
    get.socket.destroy()
  } finally {
    await proxy.close()
    await engine.close()
  }
})

// A fast engine's chunks are large (256 KiB): copying them into one write per read cost Bun a memmove
// of every byte. Written decoded, a large piece goes out as it was read, the small ones gathered.
test('written decoded: a large piece goes as it was read (no copy), the small ones of a read in one write', () => {
  const big = Buffer.alloc(32 * 1024, 'b')
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`)
  const chunk = (data: string | Buffer) =>
    Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), Buffer.from(data), Buffer.from('\r\n')])
  const read = Buffer.concat([chunk(big), ...lines.map(chunk), chunk(big), Buffer.from('0\r\n\r\n')])
  const download = new RawDownload({ kind: 'chunked' }, new Socket(), [read], true, () => {}, false)
  const res = Object.assign(new EventEmitter(), {
    writes: [] as Uint8Array[],
    ended: false,
    write(bytes: Uint8Array) {
      this.writes.push(bytes)
      return true
    },
    end() {
      this.ended = true
    },
    destroy() {},
  })
  let counted: [number, boolean] | undefined
  download.writeDecoded(res as unknown as ServerResponse, (bytes, aborted) => (counted = [bytes, aborted]))
  assert.equal(res.writes.length, 3)
  // Views of the read itself, not copies.
  assert.equal(res.writes[0]!.buffer, read.buffer)
  assert.equal(Buffer.from(res.writes[0]!).toString(), big.toString())
  assert.equal(Buffer.from(res.writes[1]!).toString(), lines.join(''))
  assert.equal(res.writes[2]!.buffer, read.buffer)
  assert.ok(res.ended)
  assert.deepEqual(counted, [2 * big.length + lines.join('').length, false])
})

/** The data of each chunk of a chunked body, in order (a cut last chunk: as far as it came). */
function decodeChunks(body: string): string[] {
  const chunks: string[] = []
  let at = 0
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = parseInt(body.slice(at, lineEnd), 16)
    if (size === 0) break
    chunks.push(body.slice(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return chunks
}
