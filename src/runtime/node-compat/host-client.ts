import * as http from 'node:http'
import * as https from 'node:https'
import type { Endpoint, HostClient, HostClientOptions, HostRequest, UpgradeRequest } from '../types.ts'
import { passableBody } from './pass-through-answer.ts'
import { takePassThrough } from '../pass-through.ts'
import type { Readable } from 'node:stream'
import { sendUpload } from './upload-pass-through.ts'
import { pumpWebToNode } from './streams.ts'
import { tlsOptions } from './tls-options.ts'
import { upgrade } from './upgrade-client.ts'
import { requestDownload } from './download-client.ts'
import { withWholeBody } from '../whole-body.ts'
import {
  abortReason,
  fromRawHeaders,
  NULL_BODY_STATUS,
  readWholeBody,
  SMALL_BODY,
  toNodeHeaders,
} from './host-answer.ts'

/** Requests that may be sent again when a kept-alive connection fails: they change nothing. */
const RETRY_SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Node's own default for the kept-alive connections of its global agent. */
const IDLE_CONNECTION_TIMEOUT = 5_000

function isSmall(length: string | undefined): boolean {
  if (length === undefined) return false
  const bytes = Number(length)
  return Number.isInteger(bytes) && bytes >= 0 && bytes <= SMALL_BODY
}

/**
 * One docker host reached with node:http/node:https: bytes pass undecoded (no gunzip of `docker cp`),
 * a rewritten body keeps its exact Content-Length, and nothing times out a quiet stream. The host's
 * keep-alive agent lives here, so it goes when the host leaves the flock.
 */
export class NodeHostClient implements HostClient {
  readonly #agent: http.Agent
  #running = 0
  #closed = false

  constructor(
    readonly endpoint: Endpoint,
    private readonly options: HostClientOptions = {},
    /** The server can write a download with the engine's framing as it is (ServerQuirks.rawDownloads). */
    private readonly rawDownloads = false,
  ) {
    const keepAlive = {
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxFreeSockets: 64,
      // An idle kept-alive connection closes after this (each holds a descriptor here and a goroutine
      // in dockerd, which never closes idle ones): a burst of creates leaves no sockets behind. Only
      // idle ones: a request's own `timeout: 0` keeps a quiet stream open, on every runtime.
      timeout: options.idleTimeout ?? IDLE_CONNECTION_TIMEOUT,
      scheduling: 'lifo' as const,
    }
    this.#agent = endpoint.tls
      ? new https.Agent({ ...keepAlive, ...tlsOptions(endpoint) })
      : new http.Agent(keepAlive)
  }

  /** Sends a request; the response body streams with backpressure and is never decoded. */
  request(outgoing: HostRequest): Promise<Response> {
    if (isPlainDownload(outgoing)) return requestDownload(this.endpoint, outgoing, this.rawDownloads)
    return new Promise((resolve, reject) => {
      const transport = this.endpoint.tls ? https : http
      const req = transport.request({
        ...this.#target(),
        agent: this.#agent,
        method: outgoing.method,
        path: outgoing.path,
        headers: toNodeHeaders(outgoing.headers),
        // Long streams (logs -f, events, wait) must never be cut for being quiet.
        timeout: 0,
      })
      if (!RETRY_SAFE.has(outgoing.method)) sendOnce(req)
      const finished = this.#started()
      const fail = (error: unknown) => {
        finished()
        outgoing.signal?.removeEventListener('abort', abort)
        reject(error)
      }
      // The promise fails here, not on the 'error' that destroy() should bring: Deno's client emits
      // none when destroyed while it waits for an answer head (a frozen host would hold it forever).
      const abort = () => {
        const error = abortReason(outgoing.signal!)
        req.destroy(error)
        fail(error)
      }
      // No `once`: a signal aborts once, and the listener is removed when the request ends.
      outgoing.signal?.addEventListener('abort', abort)
      // `on`, not `once`: Deno's client can emit 'error' twice for one request (a parse error on
      // garbage, then the failed retry of the dial), and an 'error' with no listener kills the process.
      req.on('error', fail)
      req.once('response', (res) => {
        res.once('close', () => {
          finished()
          outgoing.signal?.removeEventListener('abort', abort)
        })
        const status = res.statusCode ?? 502
        const headers = fromRawHeaders(res.rawHeaders)
        const noBody = NULL_BODY_STATUS.has(status) || outgoing.method === 'HEAD'
        const init = { status, statusText: res.statusMessage, headers }
        if (noBody) {
          res.resume()
          resolve(new Response(null, init))
        } else if (outgoing.whole || isSmall(res.headers['content-length'])) {
          // A small answer of known length (an inspect, a list), or one the caller reads whole anyway:
          // read it whole and hand on bytes, which every runtime writes out at once, instead of a web
          // stream per answer.
          readWholeBody(res, () => res.complete).then(
            (body) => resolve(withWholeBody(new Response(body as BodyInit, init), body)),
            reject,
          )
        } else {
          resolve(new Response(passableBody(res), init))
        }
      })
      sendBody(req, outgoing.body).catch((error) => req.destroy(error))
    })
  }

  upgrade(request: UpgradeRequest) {
    return upgrade(this.endpoint, request, this.options.upgradeTimeout)
  }

  close(): void {
    this.#closed = true
    if (this.#running === 0) this.#agent.destroy()
  }

  /** Counts a request until it is over: a closed client's agent goes when the last one ends. */
  #started(): () => void {
    this.#running++
    let over = false
    return () => {
      if (over) return
      over = true
      if (--this.#running === 0 && this.#closed) this.#agent.destroy()
    }
  }

  #target(): http.RequestOptions {
    const endpoint = this.endpoint
    return endpoint.kind === 'unix'
      ? { socketPath: endpoint.path }
      : { host: endpoint.host, port: endpoint.port, ...tlsOptions(endpoint) }
  }
}

/** A download flocker passes on untouched, with nothing to send: it may keep the engine's framing. */
function isPlainDownload(request: HostRequest): boolean {
  const body = request.body
  return request.download === true && request.method === 'GET' &&
    (body === null || (body instanceof Uint8Array && body.byteLength === 0))
}

/**
 * Deno's node:http client sends a request again on a new connection when the kept-alive one it went
 * on fails before an answer (closed, reset, or an answer it cannot parse), even after the engine took
 * it: a create or a start would run twice. Node and Bun never resend. Deno retries only a request it
 * marked as sent on a reused socket (`reusedSocket`, Node's public flag, set before 'socket'), so
 * clearing the mark makes the failure the caller's, as on Node.
 */
function sendOnce(req: http.ClientRequest): void {
  req.once('socket', () => {
    ;(req as { reusedSocket: boolean }).reusedSocket = false
  })
}

async function sendBody(req: http.ClientRequest, body: HostRequest['body']): Promise<void> {
  if (body instanceof Uint8Array) {
    req.end(body)
  } else if (body) {
    // A client's upload nothing read goes from its node stream to the host's (upload-pass-through.ts).
    const taken = takePassThrough(body)
    if (taken) return sendUpload(taken.source as Readable, req, taken.counted)
    await pumpWebToNode(body, req)
    req.end()
  } else {
    req.end()
  }
}
