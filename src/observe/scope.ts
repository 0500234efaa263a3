import type { Observers } from './observer.ts'

/**
 * What is known of the request being served, for code deep in a handler (a host sending a request
 * notes its name). It travels with the request, not in an async context: the middleware that makes
 * it attaches it to the request's Hono context, the app to the signal it hands every host request
 * (the client's), and a host notes itself on the scope of the signal it was given. Node's
 * AsyncLocalStorage, the alternative, makes every promise of the process pay a hook while it is on
 * (about 0.8 µs each, a few hundred µs per proxied request), whether the request is observed or not.
 */
export interface RequestScope {
  readonly id: string
  readonly observers: Observers
  /** Hosts the client's request was forwarded to (routed, created on, dialled). */
  readonly hosts: string[]
  /** Hosts flocker asked on the way (lookups, merged lists). */
  readonly asked: string[]
  route: string | null
  kind: string
  identity?: string
  /** flocker's message when it answered with an error of its own. */
  error?: string
}

/** Scopes by what carries them: a request's Hono context, the client's abort signal. */
const scopes = new WeakMap<object, RequestScope>()

/** A fresh scope, for a request nobody observes but whose hosts someone needs (the audit line). */
export function newScope(observers: Observers): RequestScope {
  return { id: crypto.randomUUID(), observers, hosts: [], asked: [], route: null, kind: 'unknown' }
}

/** Makes `scope` the scope of whatever `carrier` reaches (a Hono context, a request's signal). */
export function attachScope(carrier: object, scope: RequestScope): void {
  scopes.set(carrier, scope)
}

/** The scope a context or signal carries, if the request is observed. */
export function scopeOf(carrier: object | undefined): RequestScope | undefined {
  return carrier ? scopes.get(carrier) : undefined
}

/** `forwarded`: the client's request went there; `asked`: flocker asked it something (lookups, lists). */
export type HostRole = 'forwarded' | 'asked'

/** Notes that the request whose signal is `carrier` went to `host` (once per host and role). */
export function noteHost(carrier: object | undefined, host: string, role: HostRole): void {
  const scope = scopeOf(carrier)
  if (!scope) return
  const list = role === 'forwarded' ? scope.hosts : scope.asked
  if (!list.includes(host)) list.push(host)
}

/** The hosts a request was answered by: those it was forwarded to, else those flocker asked. */
export function hostsOf(scope: RequestScope): readonly string[] {
  return scope.hosts.length ? scope.hosts : scope.asked
}

/** Notes the route table's row that answers the request. */
export function noteRoute(carrier: object | undefined, route: string | null, kind: string): void {
  const scope = scopeOf(carrier)
  if (!scope) return
  scope.route = route
  scope.kind = kind
}

/** Notes the error flocker answered the request with. */
export function noteError(carrier: object | undefined, message: string): void {
  const scope = scopeOf(carrier)
  if (scope) scope.error = message
}

/** Notes a cache lookup made for the request. */
export function noteCache(carrier: object | undefined, cache: string, hit: boolean): void {
  scopeOf(carrier)?.observers.cache(cache, hit)
}
