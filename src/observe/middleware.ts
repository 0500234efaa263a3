import type { Context, MiddlewareHandler } from 'hono'
import type {
  ClientConnection,
  HijackCapability,
  SpliceClosed,
  UpgradedConnection,
} from '../runtime/types.ts'
import { knownHead, withKnownHeader } from '../runtime/known-bytes.ts'
import { passOn } from '../runtime/pass-through.ts'
import type { Observers } from './observer.ts'
import { attachScope, hostsOf, newScope, type RequestScope } from './scope.ts'

export const REQUEST_ID_HEADER = 'X-Request-Id'
/** Set on a merged answer some hosts' share is missing from (routes/missing-hosts.ts); the front door rewords it. */
export const MISSING_HOSTS_HEADER = 'X-Flocker-Missing-Hosts'
/** A known head's keys are lower case. */
const MISSING_HOSTS_KEY = MISSING_HOSTS_HEADER.toLowerCase()
/** Set by merged views on an answer that lacks a host: `node2 (reason); node3 (reason)`. */

/** What the serving side may tell of a request, beside the hijack capability. */
interface ObservedEnv {
  readonly hijack?: HijackCapability
  /** The client's connection (address and port, `unix`). */
  readonly client?: ClientConnection
  /** The caller's identity, when the front door established one. */
  readonly identity?: string
}

/** Answers of known length up to this size are told when handed over, with that length (see below). */
const SMALL_ANSWER = 256 * 1024

/**
 * Measures every request for the observers: a request ID (sent back as `X-Request-Id`), the route and
 * the hosts it went to (noted by the app and the hosts through the request scope), bytes each way and
 * the time until the last byte of the answer. Hijacked requests are told at open and at close.
 *
 * What it costs follows what is watched: nothing while nobody watches requests; with observers of
 * failures only (the access log without `--log-requests`), an ID and a record for answers of 500 and
 * up. A small answer of known length (an inspect, a list: most requests) keeps its body as it is, so
 * the server's buffered path writes it in one go; it is told at once with its length. Only a stream
 * is wrapped to count its bytes and tell when it ends.
 */
export function observeRequests(observers: Observers): MiddlewareHandler {
  return async (c, next) => {
    const interest = observers.requestInterest
    if (interest === 'none') return next()
    const env = (c.env ?? {}) as ObservedEnv
    const scope: RequestScope = { ...newScope(observers), identity: env.identity }
    const started = new Date()
    const clock = performance.now()
    const client = clientText(env.client)
    if (env.hijack && interest === 'all') c.env = { ...env, hijack: watchHijack(env.hijack, scope, client) }
    attachScope(c, scope)
    await next()
    const response = c.res
    const record = (status: number, bytesOut: number, aborted = false) =>
      observers.request({
        id: scope.id,
        started,
        client,
        identity: scope.identity,
        method: c.req.method,
        path: pathOf(c),
        route: scope.route,
        kind: scope.kind,
        hosts: hostsOf(scope),
        status,
        bytesIn: Number(c.req.header('content-length')) || 0,
        bytesOut,
        durationMs: performance.now() - clock,
        ...(aborted ? { aborted } : {}),
        ...(scope.error ? { error: scope.error } : {}),
      })
    if (spliced.has(scope)) {
      // The adapter writes headers set here into the engine's 101 head.
      c.res = undefined
      c.res = withRequestId(response, scope.id, () => {})
      return record(101, 0)
    }
    // A cached answer's head is read as it was made: no Headers object made for it (known-bytes.ts).
    const head = knownHead(response)
    const missing = headerOf(response, head, MISSING_HOSTS_KEY)
    if (missing) {
      for (const [, host, reason] of missing.matchAll(/(?:^|; )([^\s;()]+) \((.*?)\)(?=; [^\s;()]+ \(|$)/g)) {
        observers.viewMissingHost({ route: scope.route ?? 'unknown', host: host!, reason: reason! })
      }
    }
    const length = smallLength(response.status, headerOf(response, head, 'content-length'))
    if (length !== undefined || interest === 'errors') {
      if (head) {
        c.res = undefined
        c.res = withKnownHeader(response, REQUEST_ID_HEADER, scope.id)
      } else tagInPlace(c, response, scope.id)
      if (interest === 'all' || response.status >= 500) record(response.status, length ?? 0)
      return
    }
    c.res = undefined
    c.res = withRequestId(response, scope.id, (bytes, aborted) => record(response.status, bytes, aborted))
  }
}

/** A header of the answer, from its known head when it has one (`name` in lower case). */
function headerOf(
  response: Response,
  head: Readonly<Record<string, string>> | undefined,
  name: string,
): string | null | undefined {
  return head ? head[name] : response.headers.get(name)
}

/** The body's length when the answer says it (`header`) and it is small, or has no body by its status. */
function smallLength(status: number, header: string | null | undefined): number | undefined {
  if (status === 204 || status === 304) return 0
  if (header === null || header === undefined) return undefined
  const bytes = Number(header)
  return Number.isInteger(bytes) && bytes >= 0 && bytes <= SMALL_ANSWER ? bytes : undefined
}

/** Adds the ID header to the answer itself (a fetched answer's headers are immutable: then a copy). */
function tagInPlace(c: Context, response: Response, id: string): void {
  try {
    response.headers.set(REQUEST_ID_HEADER, id)
  } catch {
    const headers = new Headers(response.headers)
    headers.set(REQUEST_ID_HEADER, id)
    c.res = undefined
    c.res = new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}

/** Requests whose answer is a splice order: their Response must reach the adapter as it is. */
const spliced = new WeakSet<RequestScope>()

function watchHijack(capability: HijackCapability, scope: RequestScope, client?: string): HijackCapability {
  return {
    splice(upstream: UpgradedConnection, closed?: SpliceClosed) {
      spliced.add(scope)
      const record = { requestId: scope.id, route: scope.route, host: scope.hosts.at(-1) ?? '', client }
      scope.observers.hijackOpen(record)
      const opened = performance.now()
      const onClose = (bytesIn: number, bytesOut: number) => {
        scope.observers.hijackClose({ ...record, bytesIn, bytesOut, durationMs: performance.now() - opened })
        closed?.(bytesIn, bytesOut)
      }
      return capability.splice(upstream, onClose)
    },
  }
}

function pathOf(c: Context): string {
  const url = c.req.url
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return start < 0 ? '/' : url.slice(start)
}

/** The answer with its ID header, and its body counted as it streams; `done` when it ends or is cancelled. */
function withRequestId(
  response: Response,
  id: string,
  done: (bytesOut: number, aborted: boolean) => void,
): Response {
  const headers = new Headers(response.headers)
  headers.set(REQUEST_ID_HEADER, id)
  const init = { status: response.status, statusText: response.statusText, headers }
  if (!response.body) {
    done(0, false)
    return new Response(null, init)
  }
  return new Response(countBytes(response.body, done), init)
}

/**
 * Passes a body through unchanged, pulled at the reader's pace (backpressure kept), counting bytes.
 * The body is read only once this stream is: until then the serving adapter may pipe the host's
 * stream under it directly (runtime/pass-through.ts) and tell `done` itself.
 */
export function countBytes(
  body: ReadableStream<Uint8Array>,
  done: (bytes: number, aborted: boolean) => void,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  let bytes = 0
  let finished = false
  const finish = (aborted: boolean) => {
    if (finished) return
    finished = true
    done(bytes, aborted)
  }
  const counted = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await (reader ??= body.getReader()).read()
        if (end) {
          controller.close()
          finish(false)
          return
        }
        bytes += value.byteLength
        controller.enqueue(value)
      } catch (error) {
        controller.error(error)
        finish(true)
      }
    },
    cancel(reason) {
      finish(true)
      return reader ? reader.cancel(reason) : body.cancel(reason)
    },
  }, { highWaterMark: 0 })
  passOn(body, counted, done)
  return counted
}

/** `127.0.0.1:50412`, `[::1]:50412`, `unix`. */
function clientText(client: ClientConnection | undefined): string | undefined {
  if (!client?.address) return undefined
  if (client.port === undefined) return client.address
  return client.address.includes(':')
    ? `[${client.address}]:${client.port}`
    : `${client.address}:${client.port}`
}
