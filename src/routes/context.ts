import type { Flock } from '../flock/flock.ts'
import type { HealthMonitor } from '../flock/health.ts'
import type { FlockerHooks } from '../hooks.ts'
import type { ResolvedOptions } from '../options.ts'
import type { RuntimeAdapter } from '../runtime/types.ts'
import type { Observers } from '../observe/observer.ts'

/** What every handler kind works with. */
export interface FlockerContext {
  readonly flock: Flock
  readonly options: ResolvedOptions
  readonly hooks: FlockerHooks
  readonly adapter: RuntimeAdapter
  readonly health: HealthMonitor
  /** Whoever watches the app (logs, metrics): placements and merged views missing a host go here. */
  readonly observers: Observers
}
