import type { HostInput } from './flock/host-spec.ts'
import type { HealthOptions } from './flock/health.ts'
import { defaultHealth } from './flock/health.ts'
import type { NameStyle } from './docker/refs.ts'
import type { FlockerHooks } from './hooks.ts'
import type { NameReservations } from './names/reservations.ts'
import type { FlockerObserver } from './observe/observer.ts'
import type { RuntimeAdapter } from './runtime/types.ts'
import type { FrontDoorOptions } from './front-door/door.ts'
import type { StrategyName } from './schedule/strategies.ts'

export interface FlockerOptions {
  readonly hosts?: readonly HostInput[]
  readonly hooks?: FlockerHooks
  /** How container names show in lists: as the engine has them (default), `name@host`, or `host/name`. */
  readonly names?: NameStyle
  /** Refuse a create without `--name` (the original flocker did). */
  readonly requireNames?: boolean
  /** How the scheduler picks among hosts that fit: spread (default), binpack, random. */
  readonly strategy?: StrategyName
  /** Health checks of each host. */
  readonly health?: Partial<HealthOptions>
  /** How long a merged view waits for a slow host before answering without it (ms). */
  readonly hostTimeout?: number
  /**
   * How long attach and exec wait for the engine's answer head, dial included (ms, default 30 s):
   * a frozen engine fails the command instead of holding it.
   */
  readonly hijackTimeout?: number
  /** Milliseconds between calls of the `list` hook (default 30 s). */
  readonly listInterval?: number
  /**
   * A create whose image the chosen host lacks pulls it there silently, then creates (Swarm classic's
   * way). Default false: the create answers `404 No such image` as one engine does, and the client's
   * own pull (with its progress, `--pull` honoured) goes to the host chosen for the container.
   */
  readonly pullOnCreate?: boolean
  /** Logs every request and answer (method, path, status, time) through this function. */
  readonly log?: (line: string) => void
  /**
   * Answer `docker ps` from a cache kept exact by every host's events, and find containers by name or
   * ID from it (default true); false asks every host on every list.
   */
  readonly listCache?: boolean
  /** Told of every request, hijacked stream, placement and health change (see observe/observer.ts). */
  readonly observer?: FlockerObserver
  /** The runtime adapter; detected when absent. */
  readonly runtime?: RuntimeAdapter
  /** Who may get in and what they may ask: tokens, policy, origins, hosts, limits (README: Security). */
  readonly frontDoor?: FrontDoorOptions
  /** Where container names are reserved during a create; when absent, `store` or this process's memory. */
  readonly nameReservations?: NameReservations
  /**
   * The store the replicas of one flock share (`redis://HOST:PORT[/DB]`, `etcd://HOST:PORT`): name
   * reservations and in-flight placements. Without it, this process alone (one replica).
   */
  readonly store?: string
  /**
   * Tenants' images: `shared` (default: any tenant sees and uses every image) or `per-tenant` (a
   * tenant sees and touches only the images it pulled, loaded, built, committed, imported or tagged).
   */
  readonly tenantImages?: TenantImages
}

export type TenantImages = 'shared' | 'per-tenant'

export interface ResolvedOptions {
  readonly names: NameStyle
  readonly requireNames: boolean
  readonly strategy: StrategyName
  readonly health: HealthOptions
  readonly hostTimeout: number
  readonly listInterval: number
  readonly pullOnCreate: boolean
  readonly listCache: boolean
  readonly tenantImages: TenantImages
}

export function resolveOptions(options: FlockerOptions): ResolvedOptions {
  return {
    names: options.names ?? 'plain',
    requireNames: options.requireNames ?? false,
    strategy: options.strategy ?? 'spread',
    health: { ...defaultHealth, ...options.health },
    hostTimeout: options.hostTimeout ?? 5_000,
    listInterval: options.listInterval ?? 30_000,
    pullOnCreate: options.pullOnCreate ?? false,
    listCache: options.listCache ?? true,
    tenantImages: options.tenantImages ?? 'shared',
  }
}

export { type HostInput, type LegacyHostSpec, toHostSpec } from './flock/host-spec.ts'
