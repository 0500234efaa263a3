import { DockerError } from '../docker/errors.ts'
import type { ContainerCreateBody } from '../docker/schemas.ts'
import type { Host } from '../flock/host.ts'
import type { FlockerContext } from '../routes/context.ts'

/** What is being placed: a container create (with its body) or a build. */
export interface Placement {
  readonly kind: 'create' | 'build'
  readonly name?: string
  readonly image?: string
  readonly container?: ContainerCreateBody
}

/**
 * Picks the host for a new container or build: the `route` hook when the user gave one, else the
 * built-in strategy over the usable hosts.
 */
export async function chooseHost(ctx: FlockerContext, placement: Placement): Promise<Host> {
  const hosts = ctx.flock.usable
  if (!hosts.length) throw new DockerError(503, 'flocker: no docker host is available to place this on')
  if (ctx.hooks.route) {
    const picked = await ctx.hooks.route(
      { name: placement.name, image: placement.image ?? '', container: placement.container },
      hosts,
    )
    if (picked !== undefined) {
      const host = typeof picked === 'string' ? ctx.flock.byName(picked) : picked
      if (!host) {
        throw new DockerError(500, `flocker: the route hook chose an unknown host "${String(picked)}"`)
      }
      return host
    }
  }
  return spread(hosts)
}

/** Fewest containers first; ties go to the first host in inventory order. */
function spread(hosts: readonly Host[]): Host {
  return [...hosts].sort((a, b) => (a.facts?.containers ?? 0) - (b.facts?.containers ?? 0))[0]!
}
