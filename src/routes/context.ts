import type { Flock } from '../flock/flock.ts'
import type { HealthMonitor } from '../flock/health.ts'
import type { FlockerHooks } from '../hooks.ts'
import type { NameReservations } from '../names/reservations.ts'
import type { ResolvedOptions } from '../options.ts'
import type { RuntimeAdapter } from '../runtime/types.ts'

/** What every handler kind works with. */
export interface FlockerContext {
  readonly flock: Flock
  readonly options: ResolvedOptions
  readonly hooks: FlockerHooks
  readonly adapter: RuntimeAdapter
  readonly health: HealthMonitor
  readonly names: NameReservations
}
