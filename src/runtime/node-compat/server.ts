import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import * as fs from 'node:fs'
import { connect, type Socket } from 'node:net'
import * as tls from 'node:tls'
import type { Endpoint, FetchHandler, ListenOptions, RunningServer } from '../types.ts'
import { serveEnvOf } from './client-connection.ts'
import { Drain } from './drain.ts'
import { answerUpgrade } from './hijack.ts'
import { answerOnNodeHttp } from './answer.ts'
import { answerPassThrough } from './pass-through-answer.ts'
import { keepFreedReadPages } from './malloc-trim.ts'
import { ScavengeNudge } from './scavenge-nudge.ts'
import { ConnectionCap } from './connection-cap.ts'
import { chunkedUpgradeBody, upgradeRequestBody } from './upgrade-body.ts'

/** What a runtime changes in the node:http based server (each runtime's file says which and why). */
export interface ServerQuirks {
  /** Let @hono/node-server install its faster Request/Response globals (Node only). */
  readonly overrideGlobals: boolean
  /** A request handler of a user's node:http server may take the socket over for an upgrade. */
  readonly requestHandlersCanHijack: boolean
  /** Keep TLS connections alive between requests (Deno's node:http resets some reused ones). */
  readonly tlsKeepAlive?: boolean
  /** Socket reads are buffers V8 did not allocate: let it check for garbage (scavenge-nudge.ts). */
  readonly readBuffersOutsideV8?: boolean
  /**
   * The server writes a body's bytes as given once told `chunkedEncoding = false` after its head, so a
   * download can go out framed as the engine framed it (node-compat/raw-download.ts). Bun's frames
   * every write itself.
   */
  readonly rawDownloads: boolean
}

/** A body this size is more than any exec start sends; a larger one is refused before it is read. */
const DEFAULT_MAX_UPGRADE_BODY = 4 * 1024
/** How long a request head (and an Upgrade body) may take: a minute, as a slow network needs at most. */
const DEFAULT_HEAD_TIMEOUT = 60_000

interface Listening {
  readonly http: Server
  /** The TLS server in front of `http` (TLS listeners), which owns the port. */
  readonly tls?: tls.Server
}

/**
 * Serves `handler` with node:http (through @hono/node-server) on every listen address.
 * node:http is the one server that hijacks on all three runtimes: Bun.serve and Deno.serve cannot.
 * TLS listeners are a node:tls server handing each connection to the http server: Bun's node:https
 * shows no peer certificate, node:tls does everywhere (the caller's identity is its CN).
 */
export async function serveHttp(
  handler: FetchHandler,
  options: ListenOptions,
  quirks: ServerQuirks,
): Promise<RunningServer> {
  const servers: Listening[] = []
  const addresses: string[] = []
  const drain = new Drain()
  keepFreedReadPages()
  const nudge = quirks.readBuffersOutsideV8 ? new ScavengeNudge() : undefined
  const connections = new ConnectionCap(options.maxConnections ?? Infinity, nudge)
  try {
    for (const endpoint of options.listen) {
      const http = createServer(handler, options, quirks, drain)
      const server: Listening = endpoint.kind === 'tcp' && options.tls
        ? { http, tls: tlsFront(http, options.tls, connections) }
        : { http }
      if (server.tls && quirks.tlsKeepAlive === false) closeAfterEachResponse(http)
      if (!server.tls) http.on('connection', (socket: Socket) => connections.admit(socket))
      addresses.push(await listen(server.tls ?? server.http, endpoint, options))
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
    shutdown: (grace) => {
      for (const server of servers) server.tls?.close()
      return drain.shutdown(servers.map((server) => server.http), grace)
    },
  }
}

function createServer(
  handler: FetchHandler,
  options: ListenOptions,
  quirks: ServerQuirks,
  drain: Drain,
): Server {
  const headTimeout = options.headTimeout ?? DEFAULT_HEAD_TIMEOUT
  const server = createAdaptorServer({
    fetch: quirks.overrideGlobals
      // @hono/node-server's own Response objects have their head written before any body read.
      ? async (request: Request, env: HttpBindings | Http2Bindings) =>
        answerPassThrough(
          await handler(request, serveEnvOf(env.incoming as IncomingMessage, request)),
          env.outgoing as ServerResponse,
        )
      : async (request: Request, env: HttpBindings | Http2Bindings) =>
        answerOnNodeHttp(
          await handler(request, serveEnvOf(env.incoming as IncomingMessage, request)),
          env.outgoing as ServerResponse,
        ),
    overrideGlobalObjects: quirks.overrideGlobals,
    // node:http checks the head timeout on this beat (30 s by default, longer than a short timeout).
    serverOptions: { connectionsCheckingInterval: Math.min(30_000, Math.max(250, headTimeout / 4)) },
  }) as Server
  // No server-side timeouts: attach, logs -f, events and slow uploads may run for days. A request
  // head must come within `headTimeout`; JSON bodies have the front door's idle timeout.
  server.requestTimeout = 0
  server.headersTimeout = headTimeout
  server.timeout = 0
  server.keepAliveTimeout = 5_000
  const maxBody = options.maxUpgradeBody ?? DEFAULT_MAX_UPGRADE_BODY
  server.on('request', (_req, res) => drain.request(res))
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    drain.hijacked(socket)
    void handleUpgrade(handler, req, socket, head, maxBody, headTimeout).catch((error) => {
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

async function handleUpgrade(
  handler: FetchHandler,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  maxBody: number,
  timeout: number,
) {
  // The body is read before the app sees the request: refuse a large or chunked one unread.
  const length = Number(req.headers['content-length'] ?? 0)
  const tooLarge = () =>
    refuse(socket, 413, `flocker: an Upgrade request body may not exceed ${maxBody} bytes`)
  const encoding = req.headers['transfer-encoding']
  if (encoding !== undefined) {
    // docker-modem sends every hijack chunked (an empty body): decoded here, within the same cap.
    if (encoding.trim().toLowerCase() !== 'chunked' || req.headers['content-length'] !== undefined) {
      return refuse(socket, 400, 'flocker: an Upgrade request may only carry a plain or chunked body')
    }
    const read = await withDeadline(chunkedUpgradeBody(req, socket, head, maxBody), timeout, socket)
    if (read === 'too large') return tooLarge()
    return await answerUpgrade(handler, req, socket, read.body, read.surplus)
  }
  if (!(length <= maxBody)) return tooLarge()
  const { body, surplus } = await upgradeRequestBody(req, socket, head, timeout)
  await answerUpgrade(handler, req, socket, body, surplus)
}

/** A body that trickles in (a slow-loris client) is not waited for past `ms`: the connection is closed. */
function withDeadline<T>(reading: Promise<T>, ms: number, socket: Socket): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the Upgrade request body did not arrive in time'))
    }, ms)
  })
  return Promise.race([reading, late]).finally(() => clearTimeout(timer))
}

function refuse(socket: Socket, status: number, message: string) {
  const body = JSON.stringify({ message })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** A TLS server whose connections, once the handshake is done, the http server serves. */
function tlsFront(http: Server, options: NonNullable<ListenOptions['tls']>, connections: ConnectionCap) {
  const server = tls.createServer({
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    requestCert: options.verifyClients,
    rejectUnauthorized: options.verifyClients,
    allowHalfOpen: true,
  }, (socket) => {
    if (connections.admit(socket)) http.emit('connection', socket)
  })
  // A failed handshake (no certificate, wrong CA) concerns that connection only.
  server.on('tlsClientError', () => {})
  return server
}

/** Every answer says `Connection: close`, so clients open a new connection for the next request. */
function closeAfterEachResponse(http: Server) {
  http.prependListener('request', (_req, res) => res.setHeader('connection', 'close'))
}

function listen(
  server: Server | tls.Server,
  endpoint: Endpoint,
  options: ListenOptions,
): Promise<string> {
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
      if (endpoint.kind === 'unix') {
        try {
          setSocketAccess(endpoint.path, options)
        } catch (error) {
          return fail(error as Error)
        }
      }
      resolve(
        typeof address === 'object' && address
          ? `tcp://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
          : `unix://${address}`,
      )
    }
    if (endpoint.kind === 'unix') {
      removeStaleSocket(endpoint.path).then(() => server.listen(endpoint.path, done), fail)
    } else {
      server.listen(endpoint.port, endpoint.host, done)
    }
  })
}

/** Mode 0660 (not the umask's) and, with `--group`, that group: who may use the socket is root. */
function setSocketAccess(path: string, options: ListenOptions) {
  fs.chmodSync(path, options.socketMode ?? 0o660)
  if (options.socketGroup !== undefined) fs.chownSync(path, -1, options.socketGroup)
}

/**
 * A socket file left by a crashed run would make listen fail with EADDRINUSE: it is removed, but
 * only when nothing answers on it. A live socket (another flocker, a dockerd) is never unlinked.
 */
async function removeStaleSocket(path: string) {
  let isSocket = false
  try {
    isSocket = fs.statSync(path).isSocket()
  } catch {
    return // absent
  }
  if (!isSocket) return
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (live) throw new Error('another server answers on this socket; it is left alone')
  fs.unlinkSync(path)
}

function close(server: Listening): Promise<void> {
  return new Promise((resolve) => {
    const front = server.tls
    if (front) front.close()
    server.http.close(() => resolve())
    server.http.closeAllConnections?.()
  })
}
