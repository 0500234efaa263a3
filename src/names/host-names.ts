/**
 * Which container names each host holds, kept exact without reading its list: filled once from a
 * list read when the host's container events stream opens, then changed by every create, rename and
 * destroy event (each carries the name) and by flocker's own creates and renames as soon as the
 * engine answers them (before their events arrive, and before the name's reservation is released).
 *
 * A host's names are trusted only while its stream is up and has been since they were filled; a host
 * just added, reconnected or whose stream is down is read, as before. Only "free" is trusted: a name
 * the index holds is confirmed by a read (a container removed, or a create whose answer was lost,
 * may still be counted), and a read begun later that does not show it forgets it.
 */
import {
  type EngineEvent,
  type EventHandlers,
  type EventsHost,
  followEvents,
} from '../flock/follow-events.ts'
import { LIST_CHANGES } from '../schedule/host-changes.ts'

/** A name's holder as far as the index knows: its ID, unknown while a create or rename is under way. */
interface Held {
  readonly id: string | undefined
  /** When it was learnt (Date.now()): a read begun after that and not showing the name forgets it. */
  readonly at: number
}

/** A change to the names: an event, or flocker's own create or rename. */
type Change =
  | { readonly kind: 'set'; readonly name: string; readonly id: string | undefined }
  | { readonly kind: 'drop'; readonly name: string; readonly id: string | undefined }

/** A host's containers as read for the fill (the scheduler's read: bare names, full IDs). */
export type ReadNames<H> = (host: H) => Promise<{
  readonly since: number
  readonly containers: readonly { readonly id: string; readonly names: readonly string[] }[]
}>

const FILL_RETRY_MS = 1000

/** One host's names. */
export class HostNames<H extends EventsHost> {
  #names = new Map<string, Held>()
  #state: 'down' | 'filling' | 'exact' = 'down'
  /** Changes told while the fill's read is under way: applied again over what it read. */
  #told: Change[] = []
  /** Bumped when the stream goes down: a fill begun before is thrown away. */
  #stream = 0
  #abort = new AbortController()

  constructor(
    readonly host: H,
    private readonly read: ReadNames<H>,
    /** Told too of the stream's state and of every event it brings (schedule/host-changes.ts). */
    private readonly watcher?: EventHandlers,
  ) {}

  /** Whether the names are exactly the engine's (as far as its events tell). */
  get exact(): boolean {
    return this.#state === 'exact'
  }

  /** Whether a container here may hold `name` (bare): if so, a read must tell. */
  mayHold(name: string): boolean {
    return this.#names.has(name)
  }

  start(): void {
    void followEvents(this.host, HOST_EVENTS, this.#abort.signal, {
      up: () => {
        this.watcher?.up()
        void this.#fill(++this.#stream)
      },
      event: (event) => {
        for (const change of changesOf(event)) this.#apply(change)
        this.watcher?.event(event)
      },
      down: () => {
        this.watcher?.down()
        this.#stream++
        this.#state = 'down'
        this.#names.clear()
        this.#told = []
      },
    })
  }

  stop(): void {
    this.#abort.abort()
    this.watcher?.down()
    this.#stream++
    this.#state = 'down'
    this.#names.clear()
  }

  /** A create or rename through flocker took `name` here: held at once, its ID when the engine answered. */
  took(name: string, id: string | undefined): void {
    this.#apply({ kind: 'set', name, id })
  }

  /** A create through flocker the engine refused (no container was made): the name is not held for it. */
  forget(name: string): void {
    if (this.#names.get(name)?.id === undefined) this.#apply({ kind: 'drop', name, id: undefined })
  }

  /**
   * A read begun at `since` does not show `name`: forgotten, unless learnt after the read began. A
   * create whose answer was lost and never made is forgotten this way.
   */
  notShown(name: string, since: number): void {
    const held = this.#names.get(name)
    if (held && held.at < since) this.#names.delete(name)
  }

  #apply(change: Change): void {
    if (this.#state === 'filling') this.#told.push(change)
    this.#applyOver(change)
  }

  async #fill(stream: number): Promise<void> {
    this.#state = 'filling'
    this.#told = []
    try {
      const { since, containers } = await this.read(this.host)
      if (stream !== this.#stream) return
      const names = new Map<string, Held>()
      for (const container of containers) {
        for (const name of container.names) names.set(name, { id: container.id, at: since })
      }
      this.#names = names
      // What was told during the read, in order, over it: the last change of each name decides.
      for (const change of this.#told.splice(0)) this.#applyOver(change)
      this.#state = 'exact'
    } catch {
      // read again while the stream stays up; until then the host is read for every check
      if (stream !== this.#stream) return
      setTimeout(() => stream === this.#stream && void this.#fill(stream), FILL_RETRY_MS)
    }
  }

  #applyOver(change: Change): void {
    // A drop is of the container the event is about: a name taken again meanwhile (through flocker) stays.
    if (change.kind === 'set') this.#names.set(change.name, { id: change.id, at: Date.now() })
    else if (this.#names.get(change.name)?.id === change.id) this.#names.delete(change.name)
  }
}

/**
 * The events that change a name (create, rename, destroy: first, as the test engines tell this stream
 * by them), and on the same stream those that change what placement reads of a host.
 */
const HOST_EVENTS = {
  type: ['container', 'image', 'volume', 'network'],
  event: [...new Set(['create', 'rename', 'destroy', ...Object.values(LIST_CHANGES).flat()])],
}

/** The name changes an event tells (names bare, as the scheduler's read has them). */
export function changesOf(event: EngineEvent): Change[] {
  if (event.Type !== undefined && event.Type !== 'container') return []
  const id = String(event.Actor?.ID ?? event.id ?? '')
  const attributes = event.Actor?.Attributes ?? {}
  const name = String(attributes.name ?? '').replace(/^\//, '')
  if (!id || !name) return []
  switch (event.Action ?? event.status) {
    case 'create':
      return [{ kind: 'set', name, id }]
    case 'destroy':
      return [{ kind: 'drop', name, id }]
    case 'rename': {
      const old = String(attributes.oldName ?? '').replace(/^\//, '')
      return [...(old ? [{ kind: 'drop' as const, name: old, id }] : []), { kind: 'set', name, id }]
    }
    default:
      return []
  }
}

/** The names of every host of the flock (names/flock-names.ts follows them from the start). */
export class FlockNames<H extends EventsHost> {
  #hosts = new Map<H, HostNames<H>>()
  #stopped = false

  constructor(
    private readonly read: ReadNames<H>,
    /** Told of each host's stream and events besides the names (schedule/host-changes.ts). */
    private readonly watch?: (host: H) => EventHandlers,
  ) {}

  /** Follows hosts that joined, stops following those that left. */
  follow(hosts: Iterable<H>): void {
    if (this.#stopped) return
    const keep = new Set(hosts)
    for (const [host, names] of this.#hosts) {
      if (keep.has(host)) continue
      names.stop()
      this.#hosts.delete(host)
    }
    for (const host of keep) {
      if (this.#hosts.has(host)) continue
      const names = new HostNames(host, this.read, this.watch?.(host))
      this.#hosts.set(host, names)
      names.start()
    }
  }

  /** Whether `name` is surely free on `host` now (its names exact, and none held): else read it. */
  freeOn(host: H, name: string): boolean {
    const names = this.#hosts.get(host)
    return names !== undefined && names.exact && !names.mayHold(name)
  }

  /**
   * The one host of `hosts` that may hold `name`, when every one of them has its names exact: where
   * a lookup by name asks first (and checks the answer). Undefined when any host is not known now,
   * or none or several may hold it.
   */
  soleHolder(hosts: readonly H[], name: string): H | undefined {
    let holder: H | undefined
    for (const host of hosts) {
      const names = this.#hosts.get(host)
      if (!names?.exact) return undefined
      if (!names.mayHold(name)) continue
      if (holder) return undefined
      holder = host
    }
    return holder
  }

  /** A rename through flocker took `name` on a host it did not learn: held on every host until told. */
  tookSomewhere(name: string): void {
    for (const names of this.#hosts.values()) names.took(name, undefined)
  }

  of(host: H): HostNames<H> | undefined {
    return this.#hosts.get(host)
  }

  stop(): void {
    this.#stopped = true
    for (const names of this.#hosts.values()) names.stop()
    this.#hosts.clear()
  }
}
