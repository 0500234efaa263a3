/**
 * Every Docker Engine API endpoint and what flocker does with it. This table is the architecture:
 * read it to learn how any request crosses the flock. Paths are written as in Docker's API reference;
 * `{name*}` takes slashes (image references). Each path is also served under a `/vX.Y` prefix.
 * Literal paths come before the parameter paths they would otherwise match. Every behaviour has a
 * name here, and routes/handlers.ts picks its handler once, at the route's first request.
 *
 * HEAD has no rows: Hono answers HEAD through the GET row of the same path, and the handlers pass
 * the client's method on (HEAD /_ping answers headers only; HEAD /containers/{id}/archive, docker
 * cp's stat, reaches the owner as HEAD).
 *
 * Kinds:
 * - system      answered by flocker from the whole flock (ping, version, info, events, df)
 * - merged      asked of every host, answers merged into one list
 * - routed      sent to the host that owns the container / exec / image / network / volume; the
 *               `variant` names what flocker adds on the way (see RoutedVariant); `download(...)`
 *               marks the answers passed on untouched, as the engine framed them where the server can
 * - hijacked    routed like `routed`, then the connection becomes a raw duplex (attach, exec start)
 * - scheduled   a new object: the scheduler picks the host (container create, build)
 * - every-host  sent to every usable host (or, for pulls, the hosts placement picks), answers merged
 * - any-host    any one usable host can answer (registry search, distribution inspect, login)
 * - host-named  a new network or volume: on the host its name names (`node2/x`, `x@node2`), else a
 *               network on every usable host and a volume on one
 * - refused     not available through flocker, with the engine-style reason
 */

export type Target = 'container' | 'exec' | 'image' | 'network' | 'volume'
export type ListKind = 'containers' | 'images' | 'networks' | 'volumes' | 'plugins'
export type SystemEndpoint = 'ping' | 'version' | 'info' | 'events' | 'df'
export type EveryHostMerge = 'progress' | 'prune' | 'first'

/**
 * What a routed request gets besides being sent to the owner:
 * - plain               nothing: sent as it came, the reference replaced by the owner's ID
 * - container-inspect   answered from the owner lookup (one round trip), with the host shown in it
 * - image-inspect       plain, or with the list cache the holder's answer kept while its host is quiet
 * - container-remove    plain, but a link's removal (`?link=1`, PARENT/ALIAS) keeps its name, sent to PARENT's host
 * - exec-create         the new exec ID is remembered with its host (exec start/inspect go straight there)
 * - start-hook          the `start` hook may rewrite the start body
 * - every-holder        sent to every host that holds the image / network (tag, rmi, network rm), answers merged
 * - push-by-tag         the image to find is `name:tag` (the tag is in the query)
 * - follows-container   network connect/disconnect go to the container's host, with that host's network ID
 * - one-holder          save of several images: sent to a host that holds them all (else says where each is)
 * - unique-name         rename: the new name must be free on every host (names are unique across the flock)
 */
export type RoutedVariant =
  | 'plain'
  | 'container-inspect'
  | 'image-inspect'
  | 'container-remove'
  | 'exec-create'
  | 'start-hook'
  | 'every-holder'
  | 'push-by-tag'
  | 'follows-container'
  | 'unique-name'
  | 'one-holder'

/**
 * Which hosts an every-host request goes to: every usable host, or (`pull-targets`) the host a
 * waiting create chose for the image, else where the `route` hook says, else every usable host.
 */
export type EveryHostTargets = 'usable' | 'pull-targets'

export type Behaviour =
  | { readonly kind: 'system'; readonly endpoint: SystemEndpoint }
  | { readonly kind: 'merged'; readonly list: ListKind }
  | {
    readonly kind: 'routed'
    readonly target: Target
    readonly from: RefSource
    readonly variant: RoutedVariant
    /** A download: see `download` below. */
    readonly download?: boolean
  }
  | { readonly kind: 'hijacked'; readonly target: 'container' | 'exec' | 'session' }
  | { readonly kind: 'scheduled'; readonly what: 'create' | 'build' }
  | { readonly kind: 'every-host'; readonly merge: EveryHostMerge; readonly targets: EveryHostTargets }
  | { readonly kind: 'any-host' }
  | { readonly kind: 'host-named'; readonly what: 'network' | 'volume' }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }

/** Where the reference to the owned object is: a path parameter, or a query parameter. */
export type RefSource = { readonly param: string } | { readonly query: string }

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  readonly path: string
  readonly behaviour: Behaviour
}

const system = (endpoint: SystemEndpoint): Behaviour => ({ kind: 'system', endpoint })
const merged = (list: ListKind): Behaviour => ({ kind: 'merged', list })
type RoutedBehaviour = Extract<Behaviour, { kind: 'routed' }>
const routed = (
  target: Target,
  variant: RoutedVariant = 'plain',
  from: RefSource = { param: target === 'image' ? 'name' : 'id' },
): RoutedBehaviour => ({ kind: 'routed', target, from, variant })
/**
 * A download: an answer flocker never reads or rewrites, and often large (logs, export, `cp` out, save).
 * The transport may keep the engine's framing and the server forward its bytes as they are
 * (runtime/node-compat/raw-download.ts). Not stats: a stream of one small object a second, and
 * `--no-stream` answers would each pay a connection of their own.
 */
const download = (behaviour: RoutedBehaviour): Behaviour => ({ ...behaviour, download: true })
const hijacked = (target: 'container' | 'exec' | 'session'): Behaviour => ({ kind: 'hijacked', target })
const scheduled = (what: 'create' | 'build'): Behaviour => ({ kind: 'scheduled', what })
const everyHost = (merge: EveryHostMerge, targets: EveryHostTargets = 'usable'): Behaviour => ({
  kind: 'every-host',
  merge,
  targets,
})
const anyHost: Behaviour = { kind: 'any-host' }
const hostNamed = (what: 'network' | 'volume'): Behaviour => ({ kind: 'host-named', what })
const refused = (status: number, message: string): Behaviour => ({ kind: 'refused', status, message })

/** What a standalone dockerd answers to swarm-mode calls; swarm tooling already expects it. */
const NOT_A_SWARM = refused(
  503,
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
)
const NO_SWARM_MODE = refused(
  501,
  'flocker: swarm mode is not available through flocker; flocker itself spreads containers over its hosts',
)
const r = (method: Route['method'], path: string, behaviour: Behaviour): Route => ({
  method,
  path,
  behaviour,
})

export const routes: readonly Route[] = [
  // system
  r('GET', '/_ping', system('ping')),
  r('GET', '/version', system('version')),
  r('GET', '/info', system('info')),
  r('GET', '/events', system('events')),
  r('GET', '/system/df', system('df')),
  r('POST', '/auth', anyHost),

  // containers
  r('GET', '/containers/json', merged('containers')),
  r('POST', '/containers/create', scheduled('create')),
  r('POST', '/containers/prune', everyHost('prune')),
  r('GET', '/containers/{id}/json', routed('container', 'container-inspect')),
  r('GET', '/containers/{id}/top', routed('container')),
  r('GET', '/containers/{id}/logs', download(routed('container'))),
  r('GET', '/containers/{id}/changes', routed('container')),
  r('GET', '/containers/{id}/export', download(routed('container'))),
  r('GET', '/containers/{id}/stats', routed('container')),
  r('POST', '/containers/{id}/resize', routed('container')),
  r('POST', '/containers/{id}/start', routed('container', 'start-hook')),
  r('POST', '/containers/{id}/stop', routed('container')),
  r('POST', '/containers/{id}/restart', routed('container')),
  r('POST', '/containers/{id}/kill', routed('container')),
  r('POST', '/containers/{id}/update', routed('container')),
  r('POST', '/containers/{id}/rename', routed('container', 'unique-name')),
  r('POST', '/containers/{id}/pause', routed('container')),
  r('POST', '/containers/{id}/unpause', routed('container')),
  r('POST', '/containers/{id}/attach', hijacked('container')),
  r('GET', '/containers/{id}/attach/ws', hijacked('container')),
  r('POST', '/containers/{id}/wait', routed('container')),
  r('DELETE', '/containers/{id}', routed('container', 'container-remove')),
  r('GET', '/containers/{id}/archive', download(routed('container'))),
  r('PUT', '/containers/{id}/archive', routed('container')),
  r('POST', '/containers/{id}/exec', routed('container', 'exec-create')),
  r('POST', '/commit', routed('container', 'plain', { query: 'container' })),

  // exec
  r('POST', '/exec/{id}/start', hijacked('exec')),
  r('POST', '/exec/{id}/resize', routed('exec')),
  r('GET', '/exec/{id}/json', routed('exec')),

  // images
  r('GET', '/images/json', merged('images')),
  r('POST', '/images/create', everyHost('progress', 'pull-targets')),
  r('GET', '/images/search', anyHost),
  r('POST', '/images/prune', everyHost('prune')),
  r('GET', '/images/get', download(routed('image', 'one-holder', { query: 'names' }))),
  r('POST', '/images/load', everyHost('progress')),
  r('GET', '/images/{name*}/json', routed('image', 'image-inspect')),
  r('GET', '/images/{name*}/history', routed('image')),
  r('POST', '/images/{name*}/push', routed('image', 'push-by-tag')),
  r('POST', '/images/{name*}/tag', routed('image', 'every-holder')),
  r('GET', '/images/{name*}/get', download(routed('image'))),
  r('DELETE', '/images/{name*}', routed('image', 'every-holder')),
  r('GET', '/distribution/{name*}/json', anyHost),

  // builds
  r('POST', '/build', scheduled('build')),
  r('POST', '/build/prune', everyHost('prune')),
  r('POST', '/session', hijacked('session')),
  r('POST', '/grpc', hijacked('session')),

  // networks
  r('GET', '/networks', merged('networks')),
  r('POST', '/networks/create', hostNamed('network')),
  r('POST', '/networks/prune', everyHost('prune')),
  r('GET', '/networks/{id}', routed('network')),
  r('DELETE', '/networks/{id}', routed('network', 'every-holder')),
  r('POST', '/networks/{id}/connect', routed('network', 'follows-container')),
  r('POST', '/networks/{id}/disconnect', routed('network', 'follows-container')),

  // volumes
  r('GET', '/volumes', merged('volumes')),
  r('POST', '/volumes/create', hostNamed('volume')),
  r('POST', '/volumes/prune', everyHost('prune')),
  r('GET', '/volumes/{name}', routed('volume', 'plain', { param: 'name' })),
  r('DELETE', '/volumes/{name}', routed('volume', 'plain', { param: 'name' })),

  // plugins, one by one. Installed through flocker, a plugin is on every host (like a pulled image), so
  // volumes and networks of its driver work wherever a container lands; questions any host answers.
  r('GET', '/plugins', merged('plugins')),
  r('GET', '/plugins/privileges', anyHost), // read-only: what a plugin asks for, from its registry
  r('POST', '/plugins/pull', everyHost('progress')),
  r('POST', '/plugins/create', everyHost('first')), // from a tar: the upload goes to every host
  // Any host: the engine's own 404 when it lacks the plugin (`docker inspect NAME` tries plugins last).
  r('GET', '/plugins/{name*}/json', anyHost),
  r('DELETE', '/plugins/{name*}', everyHost('first')),
  r('POST', '/plugins/{name*}/enable', everyHost('first')),
  r('POST', '/plugins/{name*}/disable', everyHost('first')),
  r('POST', '/plugins/{name*}/upgrade', everyHost('progress')),
  r('POST', '/plugins/{name*}/push', anyHost),
  r('POST', '/plugins/{name*}/set', everyHost('first')),

  // swarm mode: flocker is not a swarm manager, and says so the way a standalone engine does
  r('GET', '/swarm', NOT_A_SWARM),
  r('POST', '/swarm/init', NO_SWARM_MODE),
  r('POST', '/swarm/join', NO_SWARM_MODE),
  r('POST', '/swarm/leave', NOT_A_SWARM),
  r('POST', '/swarm/update', NOT_A_SWARM),
  r('GET', '/swarm/unlockkey', NOT_A_SWARM),
  r('POST', '/swarm/unlock', NOT_A_SWARM),
  ...['/nodes', '/services', '/tasks', '/secrets', '/configs'].flatMap((base) => [
    r('GET', base, NOT_A_SWARM),
    r('GET', `${base}/{id}`, NOT_A_SWARM),
    r('DELETE', `${base}/{id}`, NOT_A_SWARM),
    r('POST', `${base}/create`, NOT_A_SWARM),
    r('POST', `${base}/{id}/update`, NOT_A_SWARM),
    r('GET', `${base}/{id}/logs`, NOT_A_SWARM),
  ]),
]

/** Docker's `{id}` / `{name*}` as a Hono pattern. */
export function honoPattern(path: string): string {
  return path.replace(/\{(\w+)\*\}/g, ':$1{.+}').replace(/\{(\w+)\}/g, ':$1')
}

/** The API version prefix a client may put before any path (`/v1.41/containers/json`). */
export const VERSION_PREFIX = '/:apiVersion{v[0-9]+\\.[0-9]+}'
