import { Hono } from 'hono'
import type { Context } from 'hono'
import { logger } from 'hono/logger'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { errorResponse } from './docker/errors.ts'
import { isJsonRoute } from './front-door/content-type.ts'
import { type DoorRoute, FrontDoor } from './front-door/door.ts'
import { doorMiddleware, guard, passageOf } from './front-door/hono.ts'
import { Flock, type HostSpec } from './flock/flock.ts'
import { followLater } from './flock/follow-later.ts'
import { HealthMonitor } from './flock/health.ts'
import type { Host } from './flock/host.ts'
import { Inventory } from './flock/inventory.ts'
import { toHostSpec } from './flock/host-spec.ts'
import { type FlockerOptions, resolveOptions } from './options.ts'
import type { FlockerContext, Handler } from './routes/context.ts'
import { dockerRequest } from './routes/request.ts'
import { fillPath } from './docker/path.ts'
import { loadRe2 } from './docker/re2.ts'
import { KeptMatches } from './routes/kept-matches.ts'
import { loadHandlers } from './routes/load-handlers.ts'
import { answerPing } from './routes/system/ping.ts'
import { LocalNameReservations } from './names/reservations.ts'
import { flockNames } from './names/flock-names.ts'
import { honoPattern, type Route, routes, VERSION_PREFIX } from './routes/table.ts'
import { detectRuntime } from './runtime/mod.ts'
import { flockListCache } from './cache/flock-cache.ts'
import type { ServeEnv } from './runtime/types.ts'
import { PlacementMemory } from './schedule/memory.ts'
import { Coordination, type StoreStatus } from './store/coordination.ts'
import { type FlockerObserver, Observers } from './observe/observer.ts'
import { observeRequests } from './observe/middleware.ts'
import { attachScope, noteError, noteRoute, scopeOf } from './observe/scope.ts'

export type FlockerApp = Hono<{ Bindings: ServeEnv }> & {
  /** The hosts, their health and facts. */
  readonly flock: Flock
  /**
   * Checks every host now (the first requests do it anyway), then follows their events if the first
   * answer has not started that yet.
   */
  checkHosts(): Promise<void>
  /** Replaces the operator's hosts (flags, config file), keeping those of the `list` hook. */
  setHosts(hosts: readonly HostSpec[]): { added: Host[]; removed: Host[] }
  /** Asks the `list` hook now. */
  refreshHosts(): Promise<void>
  /** The state of the store the replicas share (`memory` without one), for status pages and metrics. */
  storeStatus(): StoreStatus
  /** Stops background work (health checks); the app stays usable but unmonitored. */
  close(): Promise<void>
  /** Watches requests, hijacked streams, placements and health (logs, metrics); returns the unsubscribe. */
  observe(observer: FlockerObserver): () => void
}

/**
 * The flocker Hono app: every Docker Engine API endpoint, per the route table. Use `app.fetch`
 * directly, mount it (`outer.route('/docker', app)`), or run it with `serve()`.
 */
export function createFlocker(options: FlockerOptions = {}): FlockerApp {
  const resolved = resolveOptions(options)
  const adapter = options.runtime ?? detectRuntime()
  const observers = new Observers()
  if (options.observer) observers.add(options.observer)
  const clientOptions = {
    upgradeTimeout: options.hijackTimeout,
    idleTimeout: idleTimeoutAbove(resolved.health.interval),
  }
  const flock = new Flock(adapter, [], clientOptions, observers)
  flock.lookupTimeout = resolved.hostTimeout
  const health = new HealthMonitor(() => flock.all, resolved.health)
  // A host that joins is checked at once, so it takes work without waiting for the next round.
  flock.listeners.add(({ added }) => added.forEach((host) => void health.check(host)))
  const list = options.hooks?.list
  const inventory = new Inventory(
    flock,
    (options.hosts ?? []).map(toHostSpec),
    list && (async () => (await list()).map(toHostSpec)),
    resolved.listInterval,
    (message) => (options.log ?? console.error)(`flocker: the list hook failed: ${message}`),
  )
  const listCache = resolved.listCache ? flockListCache(flock, resolved.names, health) : undefined
  const hooks = options.hooks ?? {}
  const coordination = new Coordination(options.store)
  const placement = {
    flock,
    memory: new PlacementMemory(),
    shared: coordination.placements,
    hooks,
    strategy: resolved.strategy,
    hostTimeout: resolved.hostTimeout,
    observers,
  }
  const ctx: FlockerContext = {
    flock,
    options: resolved,
    hooks,
    adapter,
    health,
    inventory,
    placement,
    observers,
    // With a store, names are reserved in it (every replica sees them); alone, in this process.
    names: options.nameReservations ??
      (coordination.shared ? coordination.names : new LocalNameReservations()),
    // With a store, the other replicas' creates are seen late through events: every check reads.
    hostNames: options.store ? undefined : flockNames(flock, placement.memory, resolved.hostTimeout),
    listCache,
    coordination,
  }
  health.start()
  inventory.start()
  const following = followLater(flock, [listCache, ctx.hostNames])

  const door = new FrontDoor({
    ...options.frontDoor,
    auth: options.hooks?.auth,
    authorize: options.hooks?.authorize,
  })
  const hostAddresses = () => flock.all.map((host) => ({ name: host.name, address: host.address }))
  const app = new Hono<{ Bindings: ServeEnv }>({
    router: new KeptMatches(new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })),
  })
  app.use(observeRequests(observers))
  if (options.log) app.use(logger(options.log))
  app.use(doorMiddleware(door, hostAddresses, observers))
  // What every request but /_ping waits for: the `list` hook's first answer, re2js for filter
  // patterns and placement expressions, and the route handlers (both loaded after start-up: the first
  // answer starts them).
  let warm: Promise<unknown> | undefined
  const ready = () => warm ??= Promise.all([inventory.ready, loadRe2(), loadHandlers()])
  // Once the first answer is written (a timer turn later: on Node the bundle's require of re2js would
  // run before it), what start-up left for later: re2js, the handlers, and following the hosts' events.
  let answered = false
  const afterFirstAnswer = () => {
    if (answered) return
    answered = true
    setTimeout(() => {
      ready().catch(() => {})
      following.start()
    }, 0)
  }
  const register = (route: Route, path: string) => {
    const pattern = honoPattern(path)
    const entry = doorRoute(route)
    const ping = route.path === '/_ping'
    // /_ping's handler is the one routes/handlers.ts picks for it (a unit test holds them together),
    // at hand without loading the others; every other route's is picked at its first request.
    let handler: Handler | undefined = ping ? answerPing : undefined
    app.on(route.method, [pattern, VERSION_PREFIX + pattern], async (c) => {
      await (ping ? inventory.ready : ready())
      handler ??= (await loadHandlers())(route)
      noteRoute(c, route.path, route.behaviour.kind)
      const response = await run(c, ctx, route.path, handler, () => guard(door, c, entry))
      afterFirstAnswer()
      return response
    })
  }
  for (const route of routes) register(route, route.path)
  // Swarm's `host/name` form: the docker CLI puts it in the path unescaped (`/containers/node1/web/json`,
  // `/networks/node2/x`, `/volumes/node3/data`).
  for (const route of routes) {
    const named = /^\/(containers|networks)\/\{id\}|^\/volumes\/\{name\}/.exec(route.path)
    if (named) register(route, route.path.replace(/\{(id|name)\}/, '{flockerHost}/{$1}'))
  }
  // Deny by default: a path the table does not know is dockerd's 404, never passed through.
  app.notFound(() => errorResponse(404, 'page not found'))
  const answerError = (c: Context, error: unknown) => {
    const { status, message } = door.errorMessage(error, passageOf(c), hostAddresses())
    // The request log has the whole message, whoever the caller.
    if (status >= 500) noteError(c, error instanceof Error ? error.message : message)
    return errorResponse(status, message)
  }
  errorAnswers.set(ctx, answerError)
  app.onError((error, c) => answerError(c, error))

  return Object.assign(app, {
    flock,
    checkHosts: () => health.checkAll().then(() => following.start()),
    setHosts: (hosts: readonly HostSpec[]) => inventory.setFixed(hosts),
    refreshHosts: () => inventory.refresh(),
    storeStatus: () => coordination.status(),
    observe: (observer: FlockerObserver) => observers.add(observer),
    close: async () => {
      following.cancel()
      listCache?.stop()
      ctx.hostNames?.stop()
      inventory.stop()
      health.stop()
      await coordination.close()
    },
  })
}

/** How each app answers an error: through its door, which hides addresses from callers who are not admins. */
const errorAnswers = new WeakMap<FlockerContext, (c: Context, error: unknown) => Response>()

async function run(
  c: Context,
  ctx: FlockerContext,
  template: string,
  handler: Handler,
  admit: () => Promise<void>,
) {
  try {
    await admit()
    const req = dockerRequest(c)
    // Every host request of the handler carries the client's signal: the hosts note themselves on it.
    const scope = scopeOf(c)
    if (scope) attachScope(req.signal, scope)
    const params = joinHostParam(c.req.param() as Record<string, string>)
    return await handler(ctx, req, params, fillPath(template, params))
  } catch (error) {
    return errorAnswers.get(ctx)!(c, error)
  }
}

function joinHostParam(params: Record<string, string>): Record<string, string> {
  const { flockerHost, ...rest } = params
  if (!flockerHost) return params
  const key = 'id' in rest ? 'id' : 'name'
  return { ...rest, [key]: `${flockerHost}/${rest[key]}` }
}

/** What the door needs to know of a route: whether it hijacks, whether its body is JSON. */
function doorRoute(route: Route): DoorRoute {
  return {
    method: route.method,
    path: route.path,
    hijacked: route.behaviour.kind === 'hijacked',
    json: isJsonRoute(route),
  }
}

/** Node's own default for an idle kept-alive connection. */
const IDLE_CONNECTION_TIMEOUT = 5_000

/**
 * A host's idle connection outlives the time between its health checks: at equal times (5 s each) a
 * check's reuse raced the connection's close, and each lost race opened a new connection (188 in 10 s
 * idle at 500 hosts on Node).
 */
function idleTimeoutAbove(healthInterval: number): number {
  return Math.max(IDLE_CONNECTION_TIMEOUT, healthInterval + 2_000)
}
