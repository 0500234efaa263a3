/**
 * The name index as one flocker app uses it: the hosts of the flock (those that join or leave too),
 * followed from the first answer on (flock/follow-later.ts: a long-running proxy's first burst of
 * creates finds them filled), each
 * filled through the reads the scheduler shares (a read begun after the host's stream opened). The
 * same streams tell those reads which of a host's lists changed (schedule/host-changes.ts).
 */
import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'
import type { PlacementMemory } from '../schedule/memory.ts'
import { hostChanges } from '../schedule/host-changes.ts'
import { readList } from '../schedule/state.ts'
import { FlockNames } from './host-names.ts'

export function flockNames(flock: Flock, memory: PlacementMemory, timeout: number): FlockNames<Host> {
  const names = new FlockNames<Host>(async (host) => {
    const read = await readList(memory.reads, host, 'containers', { after: memory.reads.mark() }, timeout)
    return { since: read.since, containers: await read.value }
  }, hostChanges(memory))
  // Lookups by name ask the host the index names first (flock/locate.ts).
  flock.owners.names = names
  return names
}
