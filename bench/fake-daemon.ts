/**
 * A fake docker engine that answers as fast as it can, to measure flocker's own ceiling: what the
 * proxy costs when the daemon behind it is not the bottleneck (a real dockerd streams ~60-75 MB/s).
 *
 *   node --import tsx bench/fake-daemon.ts PORT STREAM_BYTES
 *
 * Answers /_ping, /version, /info, GET /containers/ID/json (any ID exists), POST /containers/create,
 * DELETE /containers/ID; an attach (Upgrade: tcp) gets a 101 and, once /start is called for that
 * container, STREAM_BYTES of zeros as fast as the socket takes them, then the connection closes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

const port = Number(process.argv[2] ?? 0)
const streamBytes = Number(process.argv[3] ?? 500 * 1024 * 1024)
const CHUNK = Buffer.alloc(256 * 1024)
const attached = new Map<string, Duplex>()
let created = 0

const idFrom = (url: string) => /\/containers\/([^/]+)\//.exec(url)?.[1] ?? ''

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function handle(req: IncomingMessage, res: ServerResponse) {
  const url = (req.url ?? '/').replace(/^\/v[\d.]+/, '')
  req.resume()
  if (url.startsWith('/_ping')) {
    res.writeHead(200, { 'api-version': '1.41', ostype: 'linux', 'content-type': 'text/plain' })
    return res.end(req.method === 'HEAD' ? undefined : 'OK')
  }
  if (url.startsWith('/version')) {
    return json(res, 200, { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux' })
  }
  if (url.startsWith('/info')) {
    return json(res, 200, { ID: 'FAKE', Name: 'fake', NCPU: 2, MemTotal: 1 << 30, OSType: 'linux' })
  }
  if (url.startsWith('/containers/create')) return json(res, 201, { Id: `fake${++created}`, Warnings: [] })
  const id = idFrom(url)
  if (req.method === 'GET' && url.endsWith('/json')) {
    return json(res, 200, { Id: id, Name: `/${id}`, State: { Running: false }, Config: { Image: 'fake' } })
  }
  if (req.method === 'POST' && url.includes('/start')) {
    res.writeHead(204).end()
    const socket = attached.get(id)
    if (socket) void pour(socket).finally(() => attached.delete(id))
    return
  }
  if (req.method === 'DELETE') return res.writeHead(204).end()
  json(res, 404, { message: `fake daemon: no ${req.method} ${url}` })
}

/** Writes streamBytes as fast as the socket drains, then ends it. */
async function pour(socket: Duplex): Promise<void> {
  let left = streamBytes
  while (left > 0 && !socket.destroyed) {
    const chunk = left >= CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, left)
    left -= chunk.byteLength
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
  }
  socket.end()
}

const server = createServer(handle)
server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
  attached.set(idFrom(req.url ?? ''), socket)
  socket.on('error', () => {})
  socket.write(
    'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n' +
      'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
  )
})
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number }
  console.log(`fake daemon listening on tcp://127.0.0.1:${address.port}`)
})
