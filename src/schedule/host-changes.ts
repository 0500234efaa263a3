/**
 * Which list of a host an engine event changes, told to the reads placement shares so a finished read
 * stays current until then (host-reads.ts). The events come on the stream the name index follows
 * (names/host-names.ts asks for these actions too).
 */
import type { EngineEvent, EventHandlers } from '../flock/follow-events.ts'
import type { Host } from '../flock/host.ts'
import type { ListKind } from './host-reads.ts'
import type { PlacementMemory } from './memory.ts'

/**
 * The actions that change what placement reads of a host: a container's name, state, labels or
 * reservations; an image's tags (a commit adds an image and tells only a container event); a
 * volume or network made or removed. Exec, attach, mounts and connects change none of it.
 */
export const LIST_CHANGES: Readonly<Record<ListKind, readonly string[]>> = {
  containers: ['create', 'rename', 'destroy', 'start', 'die', 'pause', 'unpause', 'update', 'prune'],
  images: ['pull', 'tag', 'untag', 'delete', 'import', 'load', 'commit', 'prune'],
  volumes: ['create', 'destroy', 'prune'],
  networks: ['create', 'destroy', 'prune'],
}

/** The list an event changes, if any (a container's commit changes the images). */
export function listChangedBy(event: EngineEvent): ListKind | undefined {
  const action = event.Action ?? event.status ?? ''
  const type = event.Type ?? 'container'
  if (type === 'container' && action === 'commit') return 'images'
  const kind = type === 'container' ? 'containers' : `${type}s`
  return kind in LIST_CHANGES && LIST_CHANGES[kind as ListKind].includes(action)
    ? kind as ListKind
    : undefined
}

/**
 * What following a host's events tells the reads placement shares: the stream up or down, and each
 * change but this process's own creates (`placedOn` adds those to reads that do not show them).
 */
export function hostChanges(memory: PlacementMemory): (host: Host) => EventHandlers {
  const { reads } = memory
  return (host) => ({
    up: () => reads.followed(host),
    down: () => reads.unfollowed(host),
    event: (event) => {
      const kind = listChangedBy(event)
      if (!kind || kind === 'containers' && ownCreate(memory, host, event)) return
      reads.changed(host, kind)
    },
  })
}

/** A container create the scheduler placed itself. */
function ownCreate(memory: PlacementMemory, host: Host, event: EngineEvent): boolean {
  if ((event.Action ?? event.status) !== 'create') return false
  const id = String(event.Actor?.ID ?? event.id ?? '')
  const name = event.Actor?.Attributes?.name?.replace(/^\//, '')
  return id !== '' && memory.isOwnCreate(host, id, name)
}
