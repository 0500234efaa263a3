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
import { createFlocker, type FlockerApp } from '../app.ts'
import { DockerError } from '../docker/errors.ts'
import { locate } from '../flock/locate.ts'
import type { Host } from '../flock/host.ts'
import type { FlockerHooks, RouteInfo } from '../hooks.ts'
import { formatEndpoint, parseEndpoint } from '../host-client/endpoint.ts'
import type { FlockerOptions, HostInput, LegacyHostSpec } from '../options.ts'
import { toHostSpec } from '../options.ts'
import { type NodeRequestListener, nodeRequestListener } from '../runtime/node-compat/request-listener.ts'
import type { RunningServer } from '../runtime/types.ts'
import { serve } from '../serve.ts'
import { type Callback, callbackToPromise, promiseToCallback } from './callbacks.ts'

export { type Callback, callbackToPromise, promiseToCallback } from './callbacks.ts'

type Json = Record<string, unknown>

/** A docker host in the original's shape: `{ hostname: 'node1', docker: '127.0.0.1:2375' }`. */
export type Server = LegacyHostSpec & Record<string, unknown>

/** What `list` may answer: servers, any host form of the new API, or the oldest `'a:2375,b:2375'`. */
export type ServerList = readonly (Server | HostInput)[] | string

/** What `route` may answer: a server, a host name or address, or nothing (flocker's scheduler picks). */
export type ServerChoice = Server | string | null | undefined

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

// deno-lint-ignore ban-types
type Listener = Function

/**
 * Options of the new API. The facade turns on what the original did: `names: 'at'` (`docker ps`
 * shows `name@host`) and `requireNames: true`. Hooks come from the listeners instead.
 */
export type CompatOptions = Omit<FlockerOptions, 'hooks'>

/** The object `flocker()` returns. */
export class Flocker {
  #listeners = new Map<string, Listener[]>()
  #options: CompatOptions
  #app: FlockerApp | null = null
  #listener: NodeRequestListener | null = null
  #servers: Server[] = []
  #running: RunningServer[] = []

  constructor(options: CompatOptions = {}) {
    this.#options = options
  }

  on(event: 'list', listener: ListListener): this
  on(event: 'route', listener: RouteListener): this
  on(event: 'map', listener: MapListener): this
  on(event: 'start', listener: StartListener): this
  on(event: string, listener: (...args: any[]) => unknown): this
  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...this.listeners(event), listener])
    return this
  }

  addListener(event: string, listener: (...args: any[]) => unknown): this {
    return this.on(event, listener)
  }

  once(event: string, listener: (...args: any[]) => unknown): this {
    const once = (...args: unknown[]) => {
      this.off(event, once)
      return listener(...args)
    }
    return this.on(event, once)
  }

  off(event: string, listener: Listener): this {
    this.#listeners.set(event, this.listeners(event).filter((fn) => fn !== listener))
    return this
  }

  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener)
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.#listeners.clear()
    else this.#listeners.delete(event)
    return this
  }

  listeners(event: string): Listener[] {
    return [...this.#listeners.get(event) ?? []]
  }

  listenerCount(event: string): number {
    return this.listeners(event).length
  }

  emit(event: string, ...args: unknown[]): boolean {
    const listeners = this.listeners(event)
    for (const listener of listeners) listener(...args)
    return listeners.length > 0
  }

  /**
   * The flocker app behind the facade, made on first use so that listeners attached after
   * `flocker()` are all there when the `list` hook is first asked.
   */
  get app(): FlockerApp {
    this.#app ??= createFlocker({
      names: 'at',
      requireNames: true,
      ...this.#options,
      hooks: hooksFrom((event) => this.listeners(event), () => this.#list()),
    })
    return this.#app
  }

  /** Serves one request of a node:http server you made (Node: attach and exec too, see README). */
  handle(req: any, res: any): void {
    this.emit('request', req, res)
    this.#listener ??= nodeRequestListener((request, env) => this.app.fetch(request, env))
    void this.#listener(req, res)
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
      const { host } = await locate(app.flock, 'container', name)
      return this.#servers.find((server) => server.hostname === host.name) ?? toServer(host)
    } catch (error) {
      if (error instanceof DockerError && error.status === 404) return undefined
      throw error
    }
  }

  #first(event: string): Listener | undefined {
    return this.listeners(event)[0]
  }

  async #list() {
    const listener = this.#first('list')
    if (!listener) return []
    const answer = await callbackToPromise<ServerList>((next) => listener(next))
    const items = typeof answer === 'string'
      ? answer.split(',').map((s) => s.trim()).filter(Boolean)
      : answer ?? []
    this.#servers = items.filter(isServer)
    return items.map(toHostSpec)
  }
}

/** `flocker(opts?)`: a new facade. */
export function flocker(options?: CompatOptions): Flocker {
  return new Flocker(options)
}

export default flocker

/** The typed hooks, each answering through the listeners of its event (looked up at call time). */
function hooksFrom(
  listenersOf: (event: string) => Listener[],
  list: NonNullable<FlockerHooks['list']>,
): FlockerHooks {
  return {
    list,
    get route() {
      const listener = listenersOf('route')[0]
      return listener && ((info: RouteInfo, hosts: readonly Host[]) => route(listener, info, hosts))
    },
    get map() {
      const listeners = listenersOf('map')
      if (!listeners.length) return undefined
      return (name: string | undefined, container: Json, image: Json | null) =>
        chain(listeners, container, (fn, current, next) => fn(name, current, image, next))
    },
    get start() {
      const listeners = listenersOf('start')
      if (!listeners.length) return undefined
      return (name: string, container: Json, image: Json | null, body: Json) =>
        start(listeners, name, container, image, body)
    },
  }
}

function isServer(item: Server | HostInput): item is Server {
  return typeof item === 'object' && item !== null && 'docker' in item
}

async function route(listener: Listener, info: RouteInfo, hosts: readonly Host[]) {
  const choice = await callbackToPromise<ServerChoice>((next) => listener(info, next))
  if (choice === null || choice === undefined || choice === '') return undefined
  if (typeof choice === 'string') return hostByNameOrAddress(hosts, choice, choice) ?? choice
  return hostByNameOrAddress(hosts, choice.hostname, choice.docker) ?? choice.hostname
}

function hostByNameOrAddress(hosts: readonly Host[], name: string, address: string): Host | undefined {
  return hosts.find((host) => host.name === name) ?? hosts.find((host) => host.address === normalise(address))
}

function normalise(address: string): string {
  try {
    return formatEndpoint(parseEndpoint(address))
  } catch {
    return address
  }
}

/** The original's server shape for a host: its address as `host:port` where it has one. */
function toServer(host: Host): Server {
  const docker = host.endpoint.kind === 'tcp' && !host.endpoint.tls
    ? host.address.replace(/^tcp:\/\//, '')
    : host.address
  return { hostname: host.name, docker }
}

/** Runs listeners one after another; each gets the body the previous one left (or returned). */
async function chain(
  listeners: readonly Listener[],
  body: Json,
  call: (listener: Listener, body: Json, next: Callback<Json | void>) => unknown,
): Promise<Json> {
  let current = body
  for (const listener of listeners) {
    const returned = await callbackToPromise<Json | void>((next) => call(listener, current, next))
    if (returned && typeof returned === 'object') current = returned
  }
  return current
}

/**
 * The original's boot record was the start body, which carried HostConfig. Clients stopped sending
 * one with API 1.24: then the hooks see the container's HostConfig, read-only (the engine takes it
 * at create, so a change belongs in `map`), and a change is refused rather than silently lost.
 */
async function start(
  listeners: readonly Listener[],
  name: string,
  container: Json,
  image: Json | null,
  body: Json,
) {
  const sent = Object.keys(body).length > 0
  const boot = sent ? body : structuredClone((container.HostConfig ?? {}) as Json)
  const before = JSON.stringify(boot)
  const after = await chain(listeners, boot, (fn, current, next) => fn(name, container, image, current, next))
  if (sent) return after
  if (JSON.stringify(after) !== before) {
    throw new Error(
      'the start listener changed the boot record (HostConfig), which engines take at create since ' +
        'API 1.24: change containerJSON.HostConfig in the map listener instead',
    )
  }
  return undefined
}
