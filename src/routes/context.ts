import type { ContainerCache } from '../cache/container-cache.ts'
import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'
import type { HealthMonitor } from '../flock/health.ts'
import type { FlockerHooks } from '../hooks.ts'
import type { ResolvedOptions } from '../options.ts'
import type { RuntimeAdapter } from '../runtime/types.ts'

/** What every handler kind works with. */
export interface FlockerContext {
  readonly flock: Flock
  readonly options: ResolvedOptions
  readonly hooks: FlockerHooks
  readonly adapter: RuntimeAdapter
  readonly health: HealthMonitor
  /** The event-fed container list cache (absent with `listCache: false`). */
  readonly listCache?: ContainerCache<Host>
}
