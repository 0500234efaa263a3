import type { Flock } from '../flock/flock.ts'
import type { HealthMonitor } from '../flock/health.ts'
import type { FlockerHooks } from '../hooks.ts'
import type { ResolvedOptions } from '../options.ts'
import type { RuntimeAdapter } from '../runtime/types.ts'
import type { Coordination } from '../store/coordination.ts'

/** What every handler kind works with. */
export interface FlockerContext {
  readonly flock: Flock
  readonly options: ResolvedOptions
  readonly hooks: FlockerHooks
  readonly adapter: RuntimeAdapter
  readonly health: HealthMonitor
  /** Name reservations and placements shared with the other replicas (or kept in memory). */
  readonly coordination: Coordination
}
