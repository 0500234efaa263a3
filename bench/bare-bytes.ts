/**
 * The floor for an answer flocker already holds: a server that answers every GET with the same bytes
 * (read from a file), with Content-Type and Content-Length, the way each layer would send it.
 *
 *   node --import tsx bench/bare-bytes.ts PORT FILE MODE     (bun run / deno run -A alike)
 *
 * MODE `http`: node:http's res.end(bytes), nothing else; `hono`: a Hono app on @hono/node-server
 * answering `new Response(bytes, { headers })`, the shape flocker's handlers have; `adapter`:
 * flocker's runtime adapter (src/runtime) serving the bytes as a cached list is served.
 */
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { bytesResponse } from '../src/runtime/known-bytes.ts'
import { detectRuntime } from '../src/runtime/mod.ts'

const [port, file, mode] = [Number(process.argv[2]), process.argv[3]!, process.argv[4] ?? 'http']
const bytes = new Uint8Array(readFileSync(file))
const head = { 'content-type': 'application/json', 'content-length': String(bytes.length) }

function plain(): Server {
  return createServer((_req, res) => {
    res.writeHead(200, head)
    res.end(bytes)
  })
}

function hono(): Server {
  const app = new Hono()
  app.get('*', () => new Response(bytes, { headers: head }))
  // As flocker's adapter does: @hono/node-server's own Response objects on Node only.
  const native = 'Bun' in globalThis || 'Deno' in globalThis
  return createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: !native }) as Server
}

process.on('SIGTERM', () => process.exit(0)) // a profiler writes its file on exit
if (mode === 'adapter') {
  // flocker's own runtime adapter (src/runtime) serving a handler that only answers the bytes.
  await detectRuntime().serve(() => bytesResponse(bytes, { headers: head }), {
    listen: [{ kind: 'tcp', host: '127.0.0.1', port }],
  })
  console.log(`bare bytes (${mode}) listening on ${port}`)
} else {
  const server = mode === 'hono' ? hono() : plain()
  server.keepAliveTimeout = 5_000
  server.listen(port, '127.0.0.1', () => console.log(`bare bytes (${mode}) listening on ${port}`))
}
