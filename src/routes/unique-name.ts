import { DockerError } from '../docker/errors.ts'
import type { Flock } from '../flock/flock.ts'
import { locateAll } from '../flock/locate.ts'

/**
 * Container names are unique across the flock, on create and on rename: the 409 names the host that
 * holds the name. Only a container's name counts, as in dockerd: a name that equals another
 * container's ID (or a prefix of one) is free.
 */
export async function refuseTakenName(flock: Flock, name: string): Promise<void> {
  const bare = name.replace(/^\//, '')
  let holders
  try {
    holders = await locateAll(flock, 'container', bare)
  } catch (error) {
    if (error instanceof DockerError && error.status === 404) return
    throw error
  }
  const holder = holders.find((found) => found.body?.Name === `/${bare}`)
  if (!holder) return
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
