import { createAdaptorServer } from '@hono/node-server'
import type { IncomingMessage, Server } from 'node:http'
import * as fs from 'node:fs'
import type { Socket } from 'node:net'
import type { Endpoint, FetchHandler, ListenOptions, RunningServer } from '../types.ts'
import { answerUpgrade } from './hijack.ts'
import { clientEnv } from './client-address.ts'
import { upgradeRequestBody } from './upgrade-body.ts'

/** What a runtime changes in the node:http based server (each runtime's file says which and why). */
export interface ServerQuirks {
  /** Let @hono/node-server install its faster Request/Response globals (Node only). */
  readonly overrideGlobals: boolean
  /** A request handler of a user's node:http server may take the socket over for an upgrade. */
  readonly requestHandlersCanHijack: boolean
}

/**
 * Serves `handler` with node:http (through @hono/node-server) on every listen address.
 * node:http is the one server that hijacks on all three runtimes: Bun.serve and Deno.serve cannot.
 */
export async function serveHttp(
  handler: FetchHandler,
  options: ListenOptions,
  quirks: ServerQuirks,
): Promise<RunningServer> {
  const servers: Server[] = []
  const addresses: string[] = []
  try {
    for (const endpoint of options.listen) {
      const server = createServer(handler, options, quirks)
      addresses.push(await listen(server, endpoint))
      servers.push(server)
    }
  } catch (error) {
    await Promise.all(servers.map(close))
    throw error
  }
  for (const address of addresses) options.onListen?.(address)
  return { addresses, close: () => Promise.all(servers.map(close)).then(() => {}) }
}

function createServer(handler: FetchHandler, options: ListenOptions, quirks: ServerQuirks): Server {
  const server = createAdaptorServer({
    fetch: (request, bindings) =>
      handler(request, clientEnv((bindings as { incoming?: IncomingMessage }).incoming?.socket)),
    overrideGlobalObjects: quirks.overrideGlobals,
  }) as Server
  // No server-side timeouts: attach, logs -f, events and slow uploads may run for days.
  server.requestTimeout = 0
  server.headersTimeout = 60_000
  server.timeout = 0
  server.keepAliveTimeout = 5_000
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
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
