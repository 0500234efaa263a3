import type { Context, MiddlewareHandler } from 'hono'
import { holdBody } from '../docker/body.ts'
import { errorResponse } from '../docker/errors.ts'
import type { Observers } from '../observe/observer.ts'
import { attachScope, hostsOf, newScope, scopeOf } from '../observe/scope.ts'
import type { ServeEnv, SpliceClosed, UpgradedConnection } from '../runtime/types.ts'
import { type DoorRoute, FrontDoor, type Passage } from './door.ts'
import { splitTarget } from './target.ts'

/** Each request's passage, from the door's middleware to its route's guard (one Context per request). */
const passages = new WeakMap<Context, Passage>()

/** Host names and addresses, to keep addresses out of the errors callers who are not admins read. */
export type HostAddresses = () => readonly { name: string; address: string }[]

/**
 * The door's Hono middleware: admits each request (target, browser marks, identity) before any
 * route runs, answers refusals the way dockerd would, keeps addresses and exception text out of the
 * answers of callers who are not admins, and writes the audit line (with the hosts the request went
 * to, noted in the request scope) when it is done.
 */
export function doorMiddleware(
  door: FrontDoor,
  hosts: HostAddresses,
  observers: Observers,
): MiddlewareHandler<{ Bindings: ServeEnv }> {
  return async (c, next) => {
    if (!c.env?.client) declareUnframedBody(c)
    const client = c.env?.client ?? {}
    const below = pathBelowMount(c)
    let passage: Passage | undefined
    try {
      // The raw target (when a server gave it) is what the engine-facing checks must see: URL
      // parsing already resolved its `..` and turned its `\` into `/`.
      const raw = client.target !== undefined ? splitTarget(client.target) : undefined
      const mount = c.req.path.slice(0, c.req.path.length - below.length)
      const path = raw ? stripMount(raw.path, mount) : below
      passage = await door.admit(c.req.raw.headers, path, raw?.search ?? searchOf(c.req.url), client)
      passages.set(c, passage)
    } catch (error) {
      const fallback = {
        route: `${c.req.method} ${below}`,
        client: client.address,
        decision: FrontDoor.decisionOf(error),
      }
      const { status, message } = door.errorMessage(error, passage, hosts())
      door.record(passage, fallback, status)
      c.res = errorResponse(status, message)
      return
    }
    // The hosts a request went to are noted in its scope: one is made for the audit line if nobody observes.
    const current = scopeOf(c)
    const scope = current ?? (door.options.audit ? newScope(observers) : undefined)
    if (scope) scope.identity = passage.identity.name
    if (scope && !current) attachScope(c, scope)
    try {
      await next()
    } finally {
      // A hijack slot is freed when its splice ends; a request that never spliced frees it now.
      if (!passage.spliced) passage.releaseHijack?.()
    }
    if (scope) passage.hosts.push(...hostsOf(scope))
    const answer = await door.publicAnswer(c.res, passage, hosts())
    if (answer !== c.res) {
      c.res = undefined
      c.res = answer
    }
    door.record(passage, { route: `${c.req.method} ${below}`, decision: passage.decision }, c.res.status)
  }
}

/**
 * A Request made in-process (`new Request(url, { method: 'POST', body })`, or one an outer router
 * hands on) may carry a body without the Content-Length or Transfer-Encoding a request off the wire
 * declares it with: it is marked chunked, so the door judges it and the route sends it on like one.
 */
function declareUnframedBody(c: Context): void {
  const raw = c.req.raw
  if (raw.method === 'GET' || raw.method === 'HEAD') return
  if (raw.headers.has('content-length') || raw.headers.has('transfer-encoding') || !raw.body) return
  const headers = new Headers(raw.headers)
  headers.set('transfer-encoding', 'chunked')
  const init = { method: raw.method, headers, body: raw.body, signal: raw.signal, duplex: 'half' }
  c.req.raw = new Request(raw.url, init as RequestInit)
}

/**
 * Holds one of the identity's live hijack slots for an Upgrade request on a hijack route: refused
 * with 429 at the cap; freed when the spliced connection closes (or, unspliced, when the request ends).
 */
function holdHijack(door: FrontDoor, c: Context<{ Bindings: ServeEnv }>, passage: Passage): void {
  const capability = c.env?.hijack
  if (!capability || !c.req.raw.headers.has('upgrade')) return
  const release = door.holdHijack(passage)
  c.env = {
    ...c.env,
    hijack: {
      splice(upstream: UpgradedConnection, closed?: SpliceClosed) {
        passage.spliced = true
        return capability.splice(upstream, (bytesIn, bytesOut) => {
          release()
          closed?.(bytesIn, bytesOut)
        })
      },
    },
  }
}

/**
 * The door's checks for a matched route (policy, upgrade rules, content type, body). The body it had
 * to read goes on canonical: the request holds it (re-made with it when the body came as its stream),
 * so handlers read what was judged.
 */
export async function guard(
  door: FrontDoor,
  c: Context<{ Bindings: ServeEnv }>,
  route: DoorRoute,
): Promise<void> {
  const passage = passages.get(c)
  if (!passage) return // served without the door's middleware (never, from createFlocker)
  try {
    const raw = c.req.raw
    let offTheWire = false
    // Body and query are read only when a check needs them: on Node, touching `raw.body` turns the
    // server's lightweight request into a full one, which costs more than the rest of the door; the
    // server's own chunks, when it gives them, cost neither.
    const bytes = await door.pass(passage, route, {
      headers: raw.headers,
      get body() {
        offTheWire = c.env?.bodyChunks !== undefined
        return c.env?.bodyChunks ?? raw.body
      },
      params: c.req.param() as Record<string, string>,
      get query() {
        return new URL(raw.url).searchParams
      },
    })
    if (route.hijacked) holdHijack(door, c, passage)
    if (bytes && !(offTheWire && holdInPlace(raw, bytes))) c.req.raw = remade(raw, bytes)
  } catch (error) {
    passage.decision = FrontDoor.decisionOf(error)
    throw error
  }
}

/**
 * A request whose body the door read off the connection keeps its head and holds the judged bytes
 * (handlers take them, see heldBodyOf), framed by their length: a new Request per create cost Node
 * more than the rest of the door. False when its headers cannot be changed.
 */
function holdInPlace(raw: Request, bytes: Uint8Array): boolean {
  try {
    frameAs(raw.headers, bytes)
  } catch {
    return false
  }
  holdBody(raw, bytes)
  return true
}

/** The request re-made with the judged bytes as its body. */
function remade(raw: Request, bytes: Uint8Array): Request {
  const judged = new Request(raw.url, {
    method: raw.method,
    headers: frameAs(new Headers(raw.headers), bytes),
    body: bytes as BodyInit,
    signal: raw.signal,
  })
  return holdBody(judged, bytes)
}

/** A head that frames exactly the judged bytes: their length, no chunked coding. */
function frameAs(headers: Headers, bytes: Uint8Array): Headers {
  headers.set('content-length', String(bytes.byteLength))
  headers.delete('transfer-encoding')
  return headers
}

export function passageOf(c: Context): Passage | undefined {
  return passages.get(c)
}

/** The query part of a URL (`?a=1`), as `URL.search` gives it. */
export function searchOf(url: string): string {
  const mark = url.indexOf('?')
  if (mark < 0 || mark === url.length - 1) return ''
  // A fragment, which no request target should carry, is left to the URL parser.
  return url.includes('#') ? new URL(url).search : url.slice(mark)
}

/** The request path without the prefix the app is mounted under (`/docker` in an outer router). */
function pathBelowMount(c: Context): string {
  const mount = c.req.routePath.replace(/\/?\*$/, '')
  return c.req.path.slice(mount.length) || '/'
}

function stripMount(path: string, mount: string): string {
  if (!mount) return path
  return path.startsWith(mount) ? path.slice(mount.length) || '/' : path
}
