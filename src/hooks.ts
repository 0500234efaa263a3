import type { AuthHook } from './front-door/identity.ts'
import type { AuthorizeHook } from './front-door/door.ts'
import type { Host } from './flock/host.ts'
import type { HostInput } from './flock/host-spec.ts'

/** What `route` is told about the thing to place: a container create, a build, or an image pull. */
export interface RouteInfo {
  /** What is being placed. flocker always sets it; optional so code that builds a RouteInfo need not. */
  readonly kind?: 'create' | 'build' | 'pull'
  /** The container's name (from `?name=`), if the client gave one. */
  readonly name?: string
  /** The image reference. */
  readonly image: string
  /** The container-create body, for a create; absent for a pull. */
  readonly container?: Record<string, unknown>
}

/**
 * The four hooks of the original flocker, typed and async. Each may be left out. A hook that throws
 * (or rejects) fails the client's request with the error's message.
 */
export interface FlockerHooks {
  /** The inventory: called at start and then every `listInterval` ms. Any host form is accepted. */
  list?: () => Promise<readonly HostInput[]> | readonly HostInput[]
  /**
   * Picks the host for a new container, a build, or an image pull: a host name or Host; undefined =
   * the scheduler (for a pull: every host). Throwing fails the request with the error's message.
   */
  route?: (
    info: RouteInfo,
    hosts: readonly Host[],
  ) => Promise<string | Host | undefined> | string | Host | undefined
  /** Rewrites the container-create body (return a new body, or change it in place and return nothing). */
  map?: (
    name: string | undefined,
    container: Record<string, unknown>,
    image: Record<string, unknown> | null,
  ) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void
  /** Rewrites the start body (return a new body, or change it in place and return nothing). */
  start?: (
    name: string,
    container: Record<string, unknown>,
    image: Record<string, unknown> | null,
    startBody: Record<string, unknown>,
  ) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void
  /**
   * Who is calling (the front door): a name for the request's identity, `undefined` to keep the one
   * flocker found (certificate CN, token), `null` or a throw to refuse with 401.
   */
  auth?: AuthHook
  /**
   * Sees every routed request (identity, route with its group, path parameters, query, the parsed
   * JSON body): return false or a message, or throw, to refuse it with 403.
   */
  authorize?: AuthorizeHook
}
