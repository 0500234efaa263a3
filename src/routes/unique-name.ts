import { conflict, DockerError } from '../docker/errors.ts'
import type { Flock } from '../flock/flock.ts'
import { locateAll } from '../flock/locate.ts'
import { ownedBy } from '../front-door/tenants.ts'
import { NAME_LEASE_TTL } from '../names/reservations.ts'
import type { FlockerContext } from './context.ts'
import type { DockerRequest } from './request.ts'

/**
 * Container names are unique across the flock, on create and on rename: the 409 names the host that
 * holds the name. Only a container's name counts, as in dockerd: a name that equals another
 * container's ID (or a prefix of one) is free. A tenant is told only that the name is taken when
 * another tenant holds it: nothing of the holder (ID, host) is shown.
 */
export async function refuseTakenName(flock: Flock, name: string, tenant: string | undefined): Promise<void> {
  const bare = name.replace(/^\//, '')
  let holders
  try {
    // Every holder, whoever owns it: names are unique across the flock and its tenants.
    holders = await locateAll(flock, 'container', bare, undefined)
  } catch (error) {
    if (error instanceof DockerError && error.status === 404) return
    throw error
  }
  const holder = holders.find((found) => found.body?.Name === `/${bare}`)
  if (!holder) return
  const config = holder.body?.Config as { Labels?: unknown } | undefined
  if (tenant !== undefined && !ownedBy(config?.Labels, tenant)) throw nameTaken(bare)
  const message = (host: string) =>
    `Conflict. The container name "/${bare}" is already in use by container "${holder.id}" on host ` +
    `${host}. You have to remove (or rename) that container to be able to reuse that name.`
  // The original flocker's message names the holder's address; callers who are not admins get its name.
  throw new DockerError(
    409,
    message(`${holder.host.name} (${holder.host.address})`),
    message(holder.host.name),
  )
}

/** A name another tenant holds: taken, and nothing more (the holder is not shown). */
export const nameTaken = (bare: string) =>
  conflict(
    `Conflict. The container name "/${bare}" is already in use. ` +
      'You have to choose another name (flocker: names are unique across the flock).',
  )

/**
 * Runs `step` (a create, a rename) with `name` held from the check that it is free to the engine's
 * answer, so the check and the step are one: parallel steps for one name run in turn, and all but
 * the first find it taken.
 */
export async function withFreeName<T>(
  ctx: FlockerContext,
  req: DockerRequest,
  name: string,
  step: () => Promise<T>,
): Promise<T> {
  const lease = await ctx.names.reserve(name.replace(/^\//, ''), { ttl: NAME_LEASE_TTL, signal: req.signal })
  try {
    await refuseTakenName(ctx.flock, name, req.tenant)
    return await step()
  } finally {
    await lease.release()
  }
}
