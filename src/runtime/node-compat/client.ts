import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import * as tls from 'node:tls'
import type { Endpoint, OutgoingRequest, RawConnection } from '../types.ts'
import { SocketConnection } from './raw-connection.ts'
import { pumpWebToNode, readableToWeb } from './streams.ts'

/** Headers that describe one hop, never forwarded (RFC 9110 7.6.1); node sets its own framing. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
])
const NULL_BODY_STATUS = new Set([101, 204, 205, 304])

/** One keep-alive agent per host endpoint: no socket limit, no idle timeout on a busy socket. */
const agents = new Map<string, http.Agent>()

function agentFor(endpoint: Endpoint): http.Agent {
  const key = JSON.stringify(endpoint)
  let agent = agents.get(key)
  if (!agent) {
    const options = { keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 64, scheduling: 'lifo' as const }
    agent = endpoint.tls ? new https.Agent({ ...options, ...tlsOptions(endpoint) }) : new http.Agent(options)
    agents.set(key, agent)
  }
  return agent
}

function tlsOptions(endpoint: Endpoint): tls.ConnectionOptions {
  const files = endpoint.tls
  if (!files) return {}
  return {
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    rejectUnauthorized: !files.insecure,
    servername: endpoint.kind === 'tcp' && !net.isIP(endpoint.host) ? endpoint.host : undefined,
  }
}

function target(endpoint: Endpoint): http.RequestOptions {
  return endpoint.kind === 'unix'
    ? { socketPath: endpoint.path }
    : { host: endpoint.host, port: endpoint.port, ...tlsOptions(endpoint) }
}

export function toNodeHeaders(headers: Headers): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {}
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) out[name] = value
  })
  return out
}

export function fromRawHeaders(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, raw[i + 1]!)
  }
  return headers
}

/** Sends a request to a docker host; the response body streams with backpressure and is never decoded. */
export function request(endpoint: Endpoint, outgoing: OutgoingRequest): Promise<Response> {
  return new Promise((resolve, reject) => {
    const transport = endpoint.tls ? https : http
    const req = transport.request({
      ...target(endpoint),
      agent: agentFor(endpoint),
      method: outgoing.method,
      path: outgoing.path,
      headers: toNodeHeaders(outgoing.headers),
      // Long streams (logs -f, events, wait) must never be cut for being quiet.
      timeout: 0,
    })
    const abort = () => req.destroy(new Error('request aborted by the client'))
    outgoing.signal?.addEventListener('abort', abort, { once: true })
    req.once('error', (error) => {
      outgoing.signal?.removeEventListener('abort', abort)
      reject(error)
    })
    req.once('response', (res) => {
      res.once('close', () => outgoing.signal?.removeEventListener('abort', abort))
      const status = res.statusCode ?? 502
      const headers = fromRawHeaders(res.rawHeaders)
      const noBody = NULL_BODY_STATUS.has(status) || outgoing.method === 'HEAD'
      if (noBody) res.resume()
      resolve(
        new Response(noBody ? null : readableToWeb(res), { status, statusText: res.statusMessage, headers }),
      )
    })
    sendBody(req, outgoing.body).catch((error) => req.destroy(error))
  })
}

async function sendBody(req: http.ClientRequest, body: OutgoingRequest['body']): Promise<void> {
  if (body instanceof Uint8Array) {
    req.end(body)
  } else if (body) {
    await pumpWebToNode(body, req)
    req.end()
  } else {
    req.end()
  }
}

/** Opens a raw connection for a hijacked request (attach, exec start, /session). */
export function dial(endpoint: Endpoint, signal?: AbortSignal): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: the client's EOF on stdin must reach the engine while its output keeps coming back.
    const plain = endpoint.kind === 'unix'
      ? net.connect({ path: endpoint.path, allowHalfOpen: true })
      : net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true })
    const socket = endpoint.tls ? tls.connect({ socket: plain, ...tlsOptions(endpoint) }) : plain
    const ready = endpoint.tls ? 'secureConnect' : 'connect'
    const fail = (error: unknown) => {
      socket.destroy()
      reject(error)
    }
    signal?.addEventListener('abort', () => fail(new Error('aborted')), { once: true })
    socket.once('error', fail)
    socket.once(ready, () => {
      socket.off('error', fail)
      socket.setNoDelay(true)
      resolve(new SocketConnection(socket))
    })
  })
}
