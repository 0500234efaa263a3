import { conflict, DockerError } from '../docker/errors.ts'
import type { Host } from '../flock/host.ts'
import { readList } from '../schedule/state.ts'
import type { ReadFreshness } from '../schedule/host-reads.ts'
import { ownedBy } from '../front-door/tenants.ts'
import { NAME_LEASE_TTL } from '../names/reservations.ts'
import type { FlockerContext } from './context.ts'
import type { DockerRequest } from './request.ts'

/**
 * Container names are unique across the flock, on create and on rename: the 409 names the host that
 * holds the name. Only a container's own name counts, as in dockerd: a name that equals another
 * container's ID (or a prefix of one) is free, and so is a link alias (`/web/db`). A tenant is told
 * only that the name is taken when another tenant holds it: nothing of the holder (ID, host) is shown.
 *
 * A host whose names the index keeps exact (names/host-names.ts: its container events stream up
 * since its names were read) and that does not hold the name is not asked. Any other host is asked
 * through its container list, read after `after` (a mark taken once the name was reserved, see
 * host-reads.ts): one read serves every create of a burst that waited for it, and the placement of
 * the create uses the same read. A host the event-fed list cache knows exactly now is answered from
 * it. With replicas, whose creates this process sees only through events, every host is read. A
 * host that does not answer in `hostTimeout` is not counted, as before: the create cannot be placed
 * there either.
 *
 * Resolves to whether some host was read (so its placement may share that read).
 */
export async function refuseTakenName(
  ctx: FlockerContext,
  name: string,
  tenant: string | undefined,
  after: number,
): Promise<{ read: boolean }> {
  const bare = name.replace(/^\//, '')
  const { holder, read } = await nameHolder(ctx, bare, after)
  if (!holder) return { read }
  if (tenant !== undefined && !ownedBy(holder.labels, tenant)) throw nameTaken(bare)
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

interface NameHolder {
  readonly host: Host
  readonly id: string
  readonly labels: Readonly<Record<string, string>>
}

/** The first usable host (in flock order) with a container of this name, from memory or a fresh read. */
async function nameHolder(
  ctx: FlockerContext,
  bare: string,
  after: number,
): Promise<{ holder?: NameHolder; read: boolean }> {
  const alone = !ctx.coordination.shared
  const cache = alone ? ctx.listCache : undefined
  const index = alone ? ctx.hostNames : undefined
  let read = false
  const found = await Promise.all(ctx.flock.usable.map(async (host): Promise<NameHolder | undefined> => {
    if (index?.freeOn(host, bare)) return undefined
    if (cache?.fresh(host)) {
      const held = cache.namedOn(host, bare)
      return held && { host, ...held }
    }
    read = true
    try {
      const { reads } = ctx.placement.memory
      const list = await readList(reads, host, 'containers', { after }, ctx.placement.hostTimeout)
      const held = (await list.value).find((container) => container.names.includes(bare))
      if (!held) index?.of(host)?.notShown(bare, list.since)
      return held && { host, id: held.id, labels: held.labels }
    } catch {
      return undefined // down or frozen: not counted (nor placed on)
    }
  }))
  return { holder: found.find((holder) => holder !== undefined), read }
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
  /**
   * Gets the reads of the hosts it may use: those its check used (a create places with them), or any
   * when no host had to be read.
   */
  step: (freshness: ReadFreshness) => Promise<T>,
): Promise<T> {
  const lease = await ctx.names.reserve(name.replace(/^\//, ''), { ttl: NAME_LEASE_TTL, signal: req.signal })
  try {
    // Reads of the hosts begun from here on see whatever the name's last holder made.
    const after = ctx.placement.memory.reads.mark()
    const { read } = await refuseTakenName(ctx, name, req.tenant, after)
    return await step(read ? { after } : 'any')
  } finally {
    await lease.release()
  }
}
