import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createServer as createNetServer, type Socket } from 'node:net'
import { test } from 'node:test'
import { NodeHostClient } from '../../src/runtime/node-compat/host-client.ts'
import { hasWholeBody, textOf } from '../../src/runtime/whole-body.ts'

async function engine(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = []
  const server = createServer((req, res) => {
    res.setHeader('content-encoding', 'gzip')
    res.end(req.method === 'POST' ? `${req.headers['content-length']}` : 'raw bytes')
  })
  server.on('connection', (socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port, sockets }
}

test('requests reuse one kept-alive connection; close() drops it (the host left)', async () => {
  const { server, port, sockets } = await engine()
  const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port })
  const get = () => client.request({ method: 'GET', path: '/_ping', headers: new Headers(), body: null })
  const first = await get()
  assert.equal(await first.text(), 'raw bytes', 'not decoded although marked gzip')
  assert.equal(first.headers.get('content-encoding'), 'gzip')
  await (await get()).text()
  assert.equal(sockets.length, 1)
  const gone = new Promise((resolve) => sockets[0]!.once('close', resolve))
  client.close()
  await gone
  server.close()
})

test('a body flocker rewrote goes with its exact length', async () => {
  const { server, port } = await engine()
  const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port })
  const body = new TextEncoder().encode('{"a":1}')
  const response = await client.request({
    method: 'POST',
    path: '/containers/x/start',
    headers: new Headers({ 'content-length': '7' }),
    body,
  })
  assert.equal(await response.text(), '7')
  client.close()
  server.close()
})

/**
 * A raw engine on kept-alive connections: GETs get a small answer; the first POST gets `fault` (bytes
 * that are not HTTP, or the connection closed unanswered) and later ones a 201. Counts the POSTs.
 */
async function garblingEngine(fault: 'garbage' | 'close') {
  let posts = 0
  const sockets: Socket[] = []
  const server = createNetServer((socket) => {
    sockets.push(socket)
    let pending = ''
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end)
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
        pending = pending.slice(end + 4 + length)
        if (head.startsWith('POST') && posts++ === 0) {
          if (fault === 'garbage') socket.end('garbage, not HTTP\r\n\r\n')
          else socket.destroy()
          return
        }
        const status = head.startsWith('POST') ? '201 Created' : '200 OK'
        socket.write(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const stop = () => {
    for (const socket of sockets) socket.destroy()
    server.close()
  }
  return { port: (server.address() as { port: number }).port, posts: () => posts, stop }
}

for (const fault of ['garbage', 'close'] as const) {
  test(`a create whose answer on a reused connection is ${fault} is sent once, never again`, async () => {
    const engine = await garblingEngine(fault)
    const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port: engine.port })
    // A GET first, so the create goes on a kept-alive connection (where Deno's client would resend).
    await (await client.request({ method: 'GET', path: '/_ping', headers: new Headers(), body: null })).text()
    await assert.rejects(client.request({
      method: 'POST',
      path: '/containers/create?name=web',
      headers: new Headers({ 'content-type': 'application/json' }),
      body: new TextEncoder().encode('{"Image":"busybox"}'),
    }))
    // Anything resent would be on the engine by the time a later request is answered.
    await (await client.request({ method: 'GET', path: '/_ping', headers: new Headers(), body: null })).text()
    assert.equal(engine.posts(), 1)
    client.close()
    engine.stop()
  })
}

test('idle kept-alive connections close after the idle timeout; a quiet answer is not cut', async () => {
  const sockets: Socket[] = []
  const server = createServer((req, res) => {
    if (req.url !== '/quiet') return res.end('ok')
    res.writeHead(200)
    res.write('a')
    setTimeout(() => res.end('b'), 600)
  })
  // Like dockerd, the engine never closes an idle connection itself.
  server.keepAliveTimeout = 0
  server.on('connection', (socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port }, { idleTimeout: 200 })
  const get = async (path: string) =>
    await (await client.request({ method: 'GET', path, headers: new Headers(), body: null })).text()
  const open = () => sockets.filter((socket) => !socket.destroyed).length
  try {
    // Quiet for three idle timeouts, on a new connection and on a kept-alive one.
    assert.equal(await get('/quiet'), 'ab')
    assert.equal(await get('/quiet'), 'ab')
    // A burst opens several connections; once idle they all close.
    await Promise.all(Array.from({ length: 5 }, () => get('/')))
    assert.ok(open() > 1)
    // Polled, with a bound far above the timeout (no pool timeout would leave them open for good).
    for (let i = 0; i < 200 && open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(open(), 0, 'idle connections left open')
  } finally {
    client.close()
    for (const socket of sockets) socket.destroy()
    server.close()
  }
})

test("a request cut by flocker's own deadline says why; one the client left says so", async () => {
  const sockets: Socket[] = []
  const frozen = createNetServer((socket) => sockets.push(socket.on('error', () => {}))) // never answers
  await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve))
  const client = new NodeHostClient({
    kind: 'tcp',
    host: '127.0.0.1',
    port: (frozen.address() as { port: number }).port,
  })
  const cut = (reason?: Error) => {
    const controller = new AbortController()
    const sent = client.request({
      method: 'GET',
      path: '/info',
      headers: new Headers(),
      body: null,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(reason), 20)
    return sent
  }
  try {
    await assert.rejects(
      cut(new Error('it stopped answering (health check timed out)')),
      /it stopped answering/,
    )
    await assert.rejects(cut(), /request aborted by the client/)
  } finally {
    client.close()
    for (const socket of sockets) socket.destroy()
    frozen.close()
  }
})

test('an answer the caller reads whole comes as bytes whatever its framing; a cut one fails', async () => {
  const sockets: Socket[] = []
  const server = createServer((req, res) => {
    // dockerd chunks any answer over 4 KiB: no Content-Length.
    res.setHeader('content-type', 'application/json')
    res.write('{"Id":')
    if (req.url === '/cut') return res.socket!.destroy()
    res.end('"abc"}')
  })
  server.on('connection', (socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = new NodeHostClient({
    kind: 'tcp',
    host: '127.0.0.1',
    port: (server.address() as { port: number }).port,
  })
  const get = (path: string, whole?: boolean) =>
    client.request({ method: 'GET', path, headers: new Headers(), body: null, whole })
  try {
    const streamed = await get('/json')
    assert.equal(hasWholeBody(streamed), false, 'a chunked answer streams by default')
    assert.equal(await streamed.text(), '{"Id":"abc"}')
    const whole = await get('/json', true)
    assert.equal(hasWholeBody(whole), true)
    assert.equal(await textOf(whole), '{"Id":"abc"}')
    await assert.rejects(get('/cut', true), 'a body cut short is an error, never a short answer')
  } finally {
    client.close()
    server.close()
    sockets.forEach((socket) => socket.destroy())
  }
})

test('a small answer of known length cut before its end is an error, not a short answer', async () => {
  const server = createNetServer((socket) =>
    socket.once(
      'data',
      () =>
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Id":'),
    )
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const client = new NodeHostClient({ kind: 'tcp', host: '127.0.0.1', port })
  try {
    const request = { method: 'GET', path: '/containers/c/json', headers: new Headers(), body: null }
    await assert.rejects(client.request(request))
    await assert.rejects(client.request({ ...request, whole: true }))
  } finally {
    client.close()
    server.close()
  }
})
