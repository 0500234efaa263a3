import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { NodeHostClient } from '../../src/runtime/node-compat/host-client.ts'

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
