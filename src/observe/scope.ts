// AsyncLocalStorage is the same on Node, Bun and Deno (node:async_hooks): it is not a runtime quirk, so
// it lives here rather than behind the runtime adapter.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Observers } from './observer.ts'

/**
 * What is known of the request being served, for code deep in a handler (a host sending a request
 * notes its name) that has no other way back to it. Only set while someone observes the app, so an
 * unobserved flocker pays nothing for it.
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

const storage = new AsyncLocalStorage<RequestScope>()

/** A fresh scope, for a request nobody observes but whose hosts someone needs (the audit line). */
export function newScope(observers: Observers): RequestScope {
  return { id: crypto.randomUUID(), observers, hosts: [], asked: [], route: null, kind: 'unknown' }
}

export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work)
}

/** The request being served, if it is observed. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore()
}

/** `forwarded`: the client's request went there; `asked`: flocker asked it something (lookups, lists). */
export type HostRole = 'forwarded' | 'asked'

/** Notes that the request being served went to `host` (once per host and role). */
export function noteHost(host: string, role: HostRole): void {
  const scope = storage.getStore()
  if (!scope) return
  const list = role === 'forwarded' ? scope.hosts : scope.asked
  if (!list.includes(host)) list.push(host)
}

/** The hosts a request was answered by: those it was forwarded to, else those flocker asked. */
export function hostsOf(scope: RequestScope): readonly string[] {
  return scope.hosts.length ? scope.hosts : scope.asked
}

/** Notes the route table's row that answers the request being served. */
export function noteRoute(route: string | null, kind: string): void {
  const scope = storage.getStore()
  if (!scope) return
  scope.route = route
  scope.kind = kind
}

/** Notes the error flocker answered the request being served with. */
export function noteError(message: string): void {
  const scope = storage.getStore()
  if (scope) scope.error = message
}

/** Notes a cache lookup made for the request being served. */
export function noteCache(cache: string, hit: boolean): void {
  storage.getStore()?.observers.cache(cache, hit)
}
