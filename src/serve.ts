import { parseEndpoint } from './addresses/endpoint.ts'
import { detectRuntime } from './runtime/mod.ts'
import type { Endpoint, ListenOptions, RunningServer, RuntimeAdapter, ServeEnv } from './runtime/types.ts'

export interface ServeOptions {
  /** dockerd-style addresses: `tcp://127.0.0.1:2375` (default), `unix:///run/flocker.sock`. */
  readonly listen?: string | readonly string[]
  readonly runtime?: RuntimeAdapter
  readonly onListen?: (address: string) => void
  readonly onError?: (error: unknown) => void
  /** TLS for the tcp addresses, unix socket mode and group, connection and upgrade-body caps. */
  readonly tls?: ListenOptions['tls']
  readonly socketMode?: number
  readonly socketGroup?: number
  readonly maxConnections?: number
  readonly maxUpgradeBody?: number
  /** How long a request head, and an Upgrade request's small body, may take to arrive (ms, 60 s). */
  readonly headTimeout?: number
}

/** Anything with a web-standard fetch: a flocker app, or an outer Hono router that mounts one. */
export interface Fetchable {
  fetch(request: Request, env: ServeEnv): Response | Promise<Response>
}

export const DEFAULT_LISTEN = 'tcp://127.0.0.1:2375'

/**
 * Serves an app over HTTP/1.1 with hijack (attach, exec) on Node, Bun or Deno. Upgrade requests go
 * through `app.fetch` like any other, so an outer router that mounts flocker serves them too.
 */
export function serve(app: Fetchable, options: ServeOptions = {}): Promise<RunningServer> {
  const runtime = options.runtime ?? detectRuntime()
  const listen = [options.listen ?? DEFAULT_LISTEN].flat().map(parseListenAddress)
  const { runtime: _, listen: __, ...rest } = options
  return runtime.serve((request, env) => app.fetch(request, env), { ...rest, listen })
}

/** dockerd's -H syntax; a tcp address must name its port (0 picks a free one). */
export function parseListenAddress(address: string): Endpoint {
  const endpoint = parseEndpoint(address)
  if (endpoint.tls) {
    throw new Error(`cannot listen on ${address}: serving TLS is not supported, put a TLS proxy in front`)
  }
  if (endpoint.kind === 'tcp' && !/:\d+\/?$/.test(address.trim())) {
    throw new Error(`invalid listen address "${address}": give a port, e.g. tcp://127.0.0.1:2375`)
  }
  return endpoint
}
