import type { ContainerSummaryJson } from '../docker/types.ts'
import type { Host } from './host.ts'

/**
 * The containers each host had when flocker last saw its whole list (an unfiltered `ps -a`, or the
 * scheduler's read before a create). When the host goes down, `docker ps` shows them from here,
 * marked `Host Down` as Swarm classic did, so the user sees what is missing instead of a shorter list.
 */
const lastSeen = new WeakMap<Host, readonly ContainerSummaryJson[]>()

export function rememberContainers(host: Host, rows: readonly ContainerSummaryJson[] | null): void {
  lastSeen.set(host, rows ?? [])
}

/** A down host's containers as last seen, their Status `Host Down` (State kept as it was). */
export function containersOfDownHost(host: Host): ContainerSummaryJson[] {
  return (lastSeen.get(host) ?? []).map((row) => ({ ...row, Status: HOST_DOWN }))
}

export const HOST_DOWN = 'Host Down'
