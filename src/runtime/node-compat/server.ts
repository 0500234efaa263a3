import { createAdaptorServer } from '@hono/node-server'
import type { IncomingMessage, Server } from 'node:http'
import * as fs from 'node:fs'
import type { Socket } from 'node:net'
import type { Endpoint, FetchHandler, RawConnection, RunningServer, ServeOptions } from '../types.ts'
import { Drain } from './drain.ts'
import { SocketConnection } from './raw-connection.ts'
import { splice } from './splice.ts'
import { upgradeRequestBody } from './upgrade-body.ts'

/** What a runtime changes in the node:http based server. */
export interface ServerQuirks {
  /** Let @hono/node-server install its faster Request/Response globals (Node only). */
  readonly overrideGlobals: boolean
}

interface SpliceOrder {
  readonly upstream: RawConnection
  readonly head: Uint8Array
}

/**
 * Serves `handler` with node:http (through @hono/node-server) on every listen address.
 * node:http is the one server that hijacks on all three runtimes: Bun.serve and Deno.serve cannot.
 */
export async function serveHttp(
  handler: FetchHandler,
  options: ServeOptions,
  quirks: ServerQuirks,
): Promise<RunningServer> {
  const servers: Server[] = []
  const addresses: string[] = []
  const drain = new Drain()
  try {
    for (const endpoint of options.listen) {
      const server = createServer(handler, options, quirks, drain)
      addresses.push(await listen(server, endpoint))
      servers.push(server)
    }
  } catch (error) {
    await Promise.all(servers.map(close))
    throw error
  }
  for (const address of addresses) options.onListen?.(address)
  return {
    addresses,
    close: () => Promise.all(servers.map(close)).then(() => {}),
    shutdown: (grace) => drain.shutdown(servers, grace),
  }
}

function createServer(
  handler: FetchHandler,
  options: ServeOptions,
  quirks: ServerQuirks,
  drain: Drain,
): Server {
  const server = createAdaptorServer({
    fetch: (request) => handler(request, {}),
    overrideGlobalObjects: quirks.overrideGlobals,
  }) as Server
  // No server-side timeouts: attach, logs -f, events and slow uploads may run for days.
  server.requestTimeout = 0
  server.headersTimeout = 60_000
  server.timeout = 0
  server.keepAliveTimeout = 5_000
  server.on('request', (_req, res) => drain.request(res))
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    drain.hijacked(socket)
    void handleUpgrade(handler, req, socket, head).catch((error) => {
      options.onError?.(error)
      socket.destroy()
    })
  })
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy(error)
  })
  return server
}

async function handleUpgrade(handler: FetchHandler, req: IncomingMessage, socket: Socket, head: Buffer) {
  const { body, surplus } = await upgradeRequestBody(req, socket, head)
  await answerUpgrade(handler, req, socket, body, surplus)
}

/**
 * Runs an Upgrade request (its body already read) through `handler`: a hijack answer is spliced to
 * the engine, anything else is written as plain HTTP/1.1. Shared by the 'upgrade' event and by
 * nodeRequestListener, which takes the socket over from a request handler.
 */
export async function answerUpgrade(
  handler: FetchHandler,
  req: IncomingMessage,
  socket: Socket,
  body: Uint8Array | null,
  surplus: Uint8Array[],
) {
  socket.setNoDelay(true)
  socket.on('error', () => socket.destroy())
  const host = req.headers.host ?? 'localhost'
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  }
  const request = new Request(`http://${host}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: body && req.method !== 'GET' && req.method !== 'HEAD' ? body as BodyInit : null,
  })
  const orders = new WeakMap<Response, SpliceOrder>()
  const response = await handler(request, {
    hijack: {
      splice(upstream, head) {
        const marker = new Response(null, { status: 200 })
        orders.set(marker, { upstream, head })
        return marker
      },
    },
  })
  const order = orders.get(response)
  if (!order) return writePlainResponse(socket, response)
  if (!(order.upstream instanceof SocketConnection)) throw new Error('foreign connection cannot be spliced')
  const upstream = order.upstream.detach()
  socket.write(order.head)
  for (const chunk of upstream.pending) socket.write(chunk)
  splice(socket, upstream.socket, { clientSurplus: surplus, upstreamEnded: upstream.ended })
}

/** An upgrade the handler refused (404, 409...): answer it as plain HTTP/1.1 and close. */
async function writePlainResponse(socket: Socket, response: Response) {
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : new Uint8Array()
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || 'Error'}`]
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') {
      lines.push(`${name}: ${value}`)
    }
  })
  lines.push(`Content-Length: ${body.byteLength}`, 'Connection: close', '', '')
  socket.write(lines.join('\r\n'))
  socket.end(body)
}

function listen(server: Server, endpoint: Endpoint): Promise<string> {
  return new Promise((resolve, reject) => {
    // EADDRINUSE, EACCES, EADDRNOTAVAIL: say which address, the user may have given several.
    const where = endpoint.kind === 'unix'
      ? `unix://${endpoint.path}`
      : `tcp://${endpoint.host}:${endpoint.port}`
    const fail = (error: Error) => reject(new Error(`cannot listen on ${where}: ${error.message}`))
    server.once('error', fail)
    const done = () => {
      server.off('error', fail)
      const address = server.address()
      resolve(
        typeof address === 'object' && address
          ? `tcp://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
          : `unix://${address}`,
      )
    }
    if (endpoint.kind === 'unix') {
      removeStaleSocket(endpoint.path)
      server.listen(endpoint.path, done)
    } else {
      server.listen(endpoint.port, endpoint.host, done)
    }
  })
}

/** A socket file left by a crashed run would make listen fail with EADDRINUSE. */
function removeStaleSocket(path: string) {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path)
  } catch {
    // absent: nothing to remove
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections?.()
  })
}
