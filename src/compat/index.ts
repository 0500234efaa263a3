/**
 * The original flocker's API (2014), on top of the typed async one: an emitter whose `list`,
 * `route`, `map` and `start` listeners answer through node-style callbacks, `handle(req, res)` for a
 * node:http server of your own, and `find(name, cb)`.
 *
 * ```js
 * import flocker from 'flocker/compat'
 * const dockers = flocker()
 * dockers.on('list', (next) => next(null, [{ hostname: 'node1', docker: '127.0.0.1:2375' }]))
 * http.createServer((req, res) => dockers.handle(req, res)).listen(8080)
 * ```
 * @module
 */
// The original API was a node EventEmitter (`dockers.on('list', ...)`, once, off, emit): the facade
// is one, from node:events, rather than a copy that differs in corners (off() of a once listener).
import { EventEmitter } from 'node:events'
import { createFlocker, type FlockerApp } from '../app.ts'
import { DockerError } from '../docker/errors.ts'
import { locate } from '../flock/locate.ts'
import type { Host } from '../flock/host.ts'
import type { RouteInfo } from '../hooks.ts'
import type { FlockerOptions, HostInput } from '../options.ts'
import { detectRuntime } from '../runtime/mod.ts'
import type { NodeRequestListener, RunningServer } from '../runtime/types.ts'
import { serve } from '../serve.ts'
import { type Callback, callbackToPromise, promiseToCallback } from './callbacks.ts'
import { hooksFrom, type Listener, type Server, type ServerChoice } from './hooks.ts'

export type { Callback } from './callbacks.ts'
export type { Server, ServerChoice } from './hooks.ts'

type Json = Record<string, unknown>

/** What `list` may answer: servers, any host form of the new API, or the oldest `'a:2375,b:2375'`. */
export type ServerList = readonly (Server | HostInput)[] | string

/** Any listener, whatever its arguments (node's emitters take these too). */
export type AnyListener = (...args: never[]) => unknown

export type ListListener = (next: Callback<ServerList>) => unknown
export type RouteListener = (info: RouteInfo, next: Callback<ServerChoice>) => unknown
export type MapListener = (name: string, container: Json, image: Json, next: Callback<Json | void>) => unknown
export type StartListener = (
  name: string,
  container: Json,
  image: Json | null,
  boot: Json,
  next: Callback<Json | void>,
) => unknown

/**
 * Options of the new API. The facade turns on what the original did: `names: 'at'` (`docker ps`
 * shows `name@host`) and `requireNames: true`, and asks `list` every 5 s (`listInterval`). Hooks
 * come from the listeners instead.
 */
export type CompatOptions = Omit<FlockerOptions, 'hooks'>

/** The object `flocker()` returns. */
export class Flocker extends EventEmitter {
  #options: CompatOptions
  #app: FlockerApp | null = null
  #listener: NodeRequestListener | null = null
  #servers: Server[] = []
  #running: RunningServer[] = []

  constructor(options: CompatOptions = {}) {
    super()
    this.#options = options
  }

  override on(event: 'list', listener: ListListener): this
  override on(event: 'route', listener: RouteListener): this
  override on(event: 'map', listener: MapListener): this
  override on(event: 'start', listener: StartListener): this
  override on(event: string | symbol, listener: AnyListener): this
  override on(event: string | symbol, listener: AnyListener): this {
    // EventEmitter types listeners as taking any arguments; ours are typed per event above.
    return super.on(event, listener as (...args: unknown[]) => void)
  }

  /**
   * The flocker app behind the facade, made on first use so that listeners attached after
   * `flocker()` are all there when the `list` hook is first asked.
   */
  get app(): FlockerApp {
    this.#app ??= createFlocker({
      names: 'at',
      requireNames: true,
      // The original asked `list` on every flock-wide operation: poll it often.
      listInterval: 5_000,
      ...this.#options,
      // rawListeners: the hooks call listeners without emit(), and a once() listener's wrapper
      // removes it when called, so once means once here too.
      hooks: hooksFrom((event) => this.rawListeners(event), () => this.#list()),
    })
    return this.#app
  }

  /** Serves one request of a node:http server you made (Node: attach and exec too, see README). */
  handle(...[req, res]: Parameters<NodeRequestListener>): void {
    this.emit('request', req, res)
    const runtime = this.#options.runtime ?? detectRuntime()
    this.#listener ??= runtime.requestListener((request, env) => this.app.fetch(request, env))
    void this.#listener(req, res)
  }

  /** `handle` bound to this facade: `http.createServer(dockers.handler())`. */
  handler(): (...args: Parameters<NodeRequestListener>) => void {
    return (req, res) => this.handle(req, res)
  }

  /** The server that holds container `name`, in the original's shape (undefined when none does). */
  find(name: string, callback: Callback<Server | undefined>): void {
    promiseToCallback(this.#find(name), callback)
  }

  /**
   * Listens with flocker's own server, which hijacks on Node, Bun and Deno alike (handle() needs
   * Node). Binds 127.0.0.1 unless told otherwise.
   */
  listen(port: number, hostname = '127.0.0.1', callback?: Callback<RunningServer>): Promise<RunningServer> {
    const host = hostname.includes(':') ? `[${hostname}]` : hostname
    const running = serve(this.app, { listen: `tcp://${host}:${port}` }).then((server) => {
      this.#running.push(server)
      return server
    })
    promiseToCallback(running, callback)
    return running
  }

  /** Stops the servers listen() started and the background work (health checks, list polling). */
  async close(): Promise<void> {
    await Promise.all(this.#running.splice(0).map((server) => server.close()))
    await this.#app?.close()
  }

  async #find(name: string): Promise<Server | undefined> {
    const app = this.app
    await app.refreshHosts()
    try {
      const { host } = await locate(app.flock, 'container', name, undefined)
      return this.#servers.find((server) => server.hostname === host.name) ?? toServer(host)
    } catch (error) {
      if (error instanceof DockerError && error.status === 404) return undefined
      throw error
    }
  }

  #first(event: string): Listener | undefined {
    return this.rawListeners(event)[0]
  }

  async #list() {
    const listener = this.#first('list')
    if (!listener) return []
    const answer = await callbackToPromise<ServerList>((next) => listener(next))
    const items = typeof answer === 'string'
      ? answer.split(',').map((s) => s.trim()).filter(Boolean)
      : answer ?? []
    this.#servers = items.filter(isServer)
    return items
  }
}

/** `flocker(opts?)`: a new facade. */
export function flocker(options?: CompatOptions): Flocker {
  return new Flocker(options)
}

export default flocker

function isServer(item: Server | HostInput): item is Server {
  return typeof item === 'object' && item !== null && 'docker' in item
}

/** The original's server shape for a host: its address as `host:port` where it has one. */
function toServer(host: Host): Server {
  const docker = host.endpoint.kind === 'tcp' && !host.endpoint.tls
    ? host.address.replace(/^tcp:\/\//, '')
    : host.address
  return { hostname: host.name, docker }
}
