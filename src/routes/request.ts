import type { Context } from 'hono'
import { heldBodyOf } from '../docker/body.ts'
import type { ServeEnv } from '../runtime/types.ts'
import type { SideEvents } from './system/events.ts'
import { forwardHeaders } from '../front-door/forward-headers.ts'
import { passageOf, searchOf } from '../front-door/hono.ts'

/** The parts of a client's request that a handler needs to pass it on to a host. */
export interface DockerRequest {
  readonly method: string
  /** `/v1.41` when the client used a versioned path, else ''. */
  readonly versionPrefix: string
  readonly url: URL
  /** The client's headers that may go on to an engine (front-door/forward-headers.ts). */
  readonly headers: Headers
  readonly signal: AbortSignal
  readonly env: ServeEnv
  /** Whether the client sent a body at all (Content-Length or chunked). */
  readonly hasBody: boolean
  readonly raw: Request
  /** The caller's tenant (its grant names one): it sees and touches only its own objects. */
  readonly tenant?: string
  /** For `GET /events`: a second stream per host beside the client's (a tenant's networks and volumes). */
  readonly sideEvents?: SideEvents
  /** `/v1.41` + `path` + the client's query string (or `query` instead). */
  upstreamPath(path: string, query?: URLSearchParams): string
  /** The body to forward: the client's stream, or null when it sent none. */
  body(): ReadableStream<Uint8Array> | Uint8Array | null
}

export function dockerRequest(c: Context): DockerRequest {
  const raw = c.req.raw
  const env = (c.env ?? {}) as ServeEnv
  let url: URL | undefined
  let headers: Headers | undefined
  const search = searchOf(raw.url)
  const version = c.req.param('apiVersion')
  const versionPrefix = version ? `/${version}` : ''
  const length = raw.headers.get('content-length')
  const hasBody = (length !== null && length !== '') || raw.headers.has('transfer-encoding')
  return {
    method: raw.method,
    versionPrefix,
    // Parsed when a handler reads it: most routed requests only need the query string as it came.
    get url() {
      return url ??= new URL(raw.url)
    },
    // Only the headers the Engine API reads go on; flocker sets X-Forwarded-For itself. Made when a
    // handler sends the request on: an answer from memory (a cached list) never needs them.
    get headers() {
      return headers ??= forwardHeaders(raw.headers, env.client?.address, env.hijack !== undefined)
    },
    signal: raw.signal,
    env,
    hasBody,
    raw,
    tenant: passageOf(c)?.grant?.tenant,
    upstreamPath(path, query) {
      const tail = query ? (query.size ? `?${query}` : '') : search
      return `${versionPrefix}${path}${tail}`
    },
    body() {
      if (!hasBody) return null
      if (length === '0') return new Uint8Array()
      return heldBodyOf(raw) ?? env.passableBody?.(raw) ?? raw.body
    },
  }
}
