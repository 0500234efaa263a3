import { lowestVersion } from '../../docker/version.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'

/** Hosts with known facts; checks them first if any has not been checked yet. */
export async function checkedHosts(ctx: FlockerContext): Promise<Host[]> {
  if (ctx.flock.all.some((host) => host.status === 'pending')) await ctx.health.checkAll()
  return ctx.flock.usable.filter((host) => host.facts)
}

/** The API version every usable host speaks: the lowest of theirs. */
export function flockApiVersion(hosts: readonly Host[]): string | undefined {
  return lowestVersion(hosts.map((host) => host.facts!.apiVersion))
}
