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
  readonly hosts: string[]
  route: string | null
  kind: string
  identity?: string
  /** flocker's message when it answered with an error of its own. */
  error?: string
}

const storage = new AsyncLocalStorage<RequestScope>()

export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work)
}

/** The request being served, if it is observed. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore()
}

/** Notes that the request being served went to `host` (once per host). */
export function noteHost(host: string): void {
  const scope = storage.getStore()
  if (scope && !scope.hosts.includes(host)) scope.hosts.push(host)
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
