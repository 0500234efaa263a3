/**
 * One host's containers, kept exact by the host's event stream: the stream is opened first, then
 * the list is read; every event (and every change flocker makes there) marks the host stale, and a
 * resync reads the list again, inspecting only the rows that changed (for their state times, which
 * the Status text needs). While stale, not yet synced, or with its stream down, the host is not
 * answered from here: the caller asks it live.
 */
import { type EngineEvent, followEvents } from '../flock/follow-events.ts'
import { rfc3339Nanos } from '../flock/created-order.ts'
import type { FilterFields } from './container-filters.ts'
import type { InspectWindow } from './inspect-cache.ts'
import { stateTimesOf, statusText } from './status-text.ts'
import { ReadLane } from './read-lane.ts'
import { DockerError } from '../docker/errors.ts'

/** A row of `GET /containers/json`: the fields read here; every other passes through. */
export interface ContainerRow {
  Id?: string
  Names?: string[]
  Created?: number
  State?: string
  Labels?: Record<string, string> | null
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string } | null> | null } | null
  Mounts?: { Name?: string; Source?: string; Destination?: string }[] | null
  [field: string]: unknown
}

interface Inspect {
  Name?: string
  Created?: string
  State?: unknown
}

/** What the feed needs of a host (src/flock/host.ts has it). */
export interface FeedHost {
  readonly name: string
  request(method: string, path: string, init?: { signal?: AbortSignal }): Promise<Response>
  json<T>(path: string, init?: { signal?: AbortSignal }): Promise<T>
  /** Told of every request flocker sends that may change the host (src/flock/host.ts). */
  readonly writes?: Set<(path: string) => void>
  /** Such requests sent and not yet answered. */
  readonly writesOnTheWay?: number
  /** Their paths (src/flock/host.ts). */
  readonly writePathsOnTheWay?: readonly string[]
  /** Creates flocker is handling and has not yet sent anywhere (or answered), flock-wide. */
  readonly createsBeingPlaced?: { readonly count: number }
}

/** One cached container: the engine's row rendered once, around the Status text computed per list. */
export interface CachedRow {
  readonly fields: FilterFields
  /** `Created` of the list (seconds), and the nanoseconds within that second from the inspect. */
  readonly created: number
  readonly createdNanos: number
  /** The row's JSON as UTF-8, without its Status value, which goes in at byte `hole`. */
  readonly bytes: Uint8Array
  readonly hole: number
}

/** Renders a row for the flock (host label, display names) with a hole for Status. */
export type RowRenderer = (row: ContainerRow) => Record<string, unknown>

const STATUS_HOLE = '__flocker_status_hole__'
const utf8 = new TextEncoder()
const INSPECT_CONCURRENCY = 4
/**
 * After an event, when to read the list again (the event delay for a change made on an engine): at
 * least this long after it; one read serves every event before it (see #lookAfter).
 */
const LOOK_AGAIN_MS = [200, 1000]
/**
 * A burst of changes (20 creates at once: each one's write and events) is read once it settles: once
 * no change came for SETTLE_QUIET_MS and no write flocker sent there is still on its way (nor a create
 * flocker is still placing), or
 * SETTLE_MAX_MS after the first change not yet read. A resync per change would send the engines a
 * list and inspects between every two creates. Waiting is safe: the host is stale meanwhile, so
 * answered live.
 */
const SETTLE_QUIET_MS = 100
const SETTLE_MAX_MS = 1000
/**
 * After a resync that failed (a list cut or refused, an inspect that failed other than by a 404),
 * when to try again, growing with each failure in a row: a quiet host sends no event that would.
 */
const RETRY_MS = [250, 1000, 2000, 5000]
/** A lane as wide as the feed's own reads: for a feed made alone (tests). */
const UNBOUNDED = new ReadLane(Infinity)

export class HostFeed implements InspectWindow {
  #rows = new Map<string, CachedRow>()
  #names = new Map<string, string>()
  /** Bumped by every event and every change made through flocker. */
  #wanted = 1
  #synced = 0
  #streamUp = false
  #syncing: Promise<void> | null = null
  #abort = new AbortController()
  #version = 0
  /** A second look asked for: read the list again, answering from the rows meanwhile. */
  #lookAgain = false
  /** Bumped by anything that may have changed any container here (kept inspects, inspect-cache.ts). */
  #epoch = 0
  #quietSince = 0
  /** When the last change came, and the first one no resync has begun to read since (0: none). */
  #lastChangeAt = 0
  #firstUnreadAt = 0
  #settleTimer: ReturnType<typeof setTimeout> | undefined
  /** The latest relevant event, and the look-again delays with a timer armed. */
  #lastEventAt = 0
  #looksArmed = new Set<number>()
  /** Creates (by name) and removals (by reference) flocker sent here, answered since the last resync began. */
  #ownAnswered = new Set<string>()
  /** Resyncs that failed in a row (RETRY_MS). */
  #failures = 0

  constructor(
    readonly host: FeedHost,
    private readonly render: RowRenderer,
    private readonly onRows: (ids: string[], rows: readonly ContainerRow[]) => void = () => {},
    /** Shared by every host's feed: the flock's reads on their way at once (read-lane.ts). */
    private readonly lane: ReadLane = UNBOUNDED,
  ) {}

  /** Whether the rows are exactly the engine's now (as far as its events tell). */
  get fresh(): boolean {
    return this.#streamUp && this.#synced === this.#wanted
  }

  get epoch(): number {
    return this.#epoch
  }

  get quietSince(): number {
    return this.#quietSince
  }

  get streamUp(): boolean {
    return this.#streamUp
  }

  /** Something happened on the host: what was read of it before may be out of date. */
  #stir(): void {
    this.#epoch++
    this.#quietSince = Date.now()
  }

  get rows(): Iterable<CachedRow> {
    return this.#rows.values()
  }

  /** Bumped whenever the rows are replaced: an answer built from older rows is stale. */
  get version(): number {
    return this.#version
  }

  /** Whether a container here has this name (`/web`) or full ID. */
  holds(nameOrId: string): boolean {
    return this.#names.has(nameOrId) || this.#rows.has(nameOrId)
  }

  /** The container here whose own name is `name` (`/web`): its ID and labels. */
  named(name: string): { id: string; labels: Readonly<Record<string, string>> } | undefined {
    const id = this.#names.get(name)
    const row = id === undefined ? undefined : this.#rows.get(id)
    return row && { id: row.fields.id, labels: row.fields.labels }
  }

  /** The full ID of a container here by name (`web`) or full ID. */
  idOf(ref: string): string | undefined {
    return this.#rows.has(ref) ? ref : this.#names.get(`/${ref}`)
  }

  get size(): number {
    return this.#rows.size
  }

  start(): void {
    this.host.writes?.add(this.#onWrite)
    void this.#follow()
  }

  stop(): void {
    this.host.writes?.delete(this.#onWrite)
    this.#abort.abort()
    this.#streamUp = false
    this.#stir()
    this.#rows.clear()
    this.#names.clear()
  }

  /** A request flocker sent may have changed a row (see ROWS_UNCHANGED for those that cannot). */
  #onWrite = (path: string) => {
    this.#stir()
    const own = ownChange(path)
    if (own) this.#ownAnswered.add(own)
    if (!ROWS_UNCHANGED.test(path)) this.changed()
  }

  /** A change made on this host (through flocker, or told by an event): resync before answering again. */
  changed(): void {
    this.#wanted++
    this.#lastChangeAt = Date.now()
    this.#firstUnreadAt ||= this.#lastChangeAt
    this.#settle()
  }

  /** Reads the list again without making the host stale: nothing told of a change, so the rows stand. */
  #look(): void {
    this.#lookAgain = true
    // A resync already waiting to settle begins later than now: it serves this look too.
    if (!this.#settleTimer) this.#sync()
  }

  /** Resyncs once the changes settle (SETTLE_QUIET_MS); one under way settles again when it ends. */
  #settle(): void {
    if (this.#settleTimer || this.#syncing || !this.#streamUp) return
    this.#settleTimer = this.#later(() => {
      this.#settleTimer = undefined
      if (this.#settleDue() > Date.now()) this.#settle()
      else this.#sync()
    }, Math.max(0, this.#settleDue() - Date.now()))
  }

  #settleDue(): number {
    const now = Date.now()
    // A write flocker sent here and not yet answered (the rest of a burst) changes the host again
    // once answered: a list now would be out of date by then. So may a create still being placed
    // (its name checked, its host chosen): a burst's creates reach the engines over its whole length.
    const busy = this.host.writesOnTheWay || this.host.createsBeingPlaced?.count
    const last = Math.max(this.#lastChangeAt, busy ? now : 0)
    return Math.min(last + SETTLE_QUIET_MS, (this.#firstUnreadAt || now) + SETTLE_MAX_MS)
  }

  /**
   * A look at least `ms` after every event: one timer per delay; when it fires it looks (serving the
   * events before), and again `ms` after the latest event if one came since it was armed.
   */
  #lookAfter(ms: number): void {
    if (this.#looksArmed.has(ms)) return
    this.#looksArmed.add(ms)
    const fire = () => {
      this.#look()
      const wait = this.#lastEventAt + ms - Date.now()
      if (wait > 0) this.#later(fire, wait)
      else this.#looksArmed.delete(ms)
    }
    this.#later(fire, ms)
  }

  #later(run: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.#abort.signal.aborted || run(), ms)
    ;(timer as { unref?: () => void }).unref?.()
    return timer
  }

  #follow(): Promise<void> {
    return followEvents(this.host, ROW_EVENTS, this.#abort.signal, {
      up: () => {
        this.#streamUp = true
        this.#stir()
        // Read at once: nothing was read since the stream was down.
        this.#wanted++
        this.#sync()
      },
      event: (event) => {
        this.#stir()
        if (!relevant(event)) return
        this.changed()
        if (this.#madeThroughFlocker(event)) return
        // dockerd announces some changes before its list shows them (a network (dis)connect; a
        // container's die and pause before their checkpoint, the network teardown after a die):
        // look again shortly, and once more later for a slow teardown.
        this.#lastEventAt = Date.now()
        for (const ms of LOOK_AGAIN_MS) this.#lookAfter(ms)
      },
      // answered live until the stream is back
      down: () => {
        this.#streamUp = false
        this.#stir()
      },
    })
  }

  /**
   * A container's create or removal flocker sent here, on its way or answered since the resync
   * began: it needs no second look. dockerd lists the change before it tells the event and answers,
   * and the resync that `changed` brings waits for writes on their way (#settleDue).
   */
  #madeThroughFlocker(event: EngineEvent): boolean {
    const action = event.Action ?? event.status
    if ((event.Type ?? 'container') !== 'container' || (action !== 'create' && action !== 'destroy')) {
      return false
    }
    const name = String(event.Actor?.Attributes?.name ?? '').replace(/^\//, '')
    const refs = action === 'create' ? [name] : [String(event.Actor?.ID ?? event.id ?? ''), name]
    const keys = refs.filter(Boolean).map((ref) => `${action}:${ref}`)
    if (keys.some((key) => this.#ownAnswered.has(key))) return true
    const onTheWay = (this.host.writePathsOnTheWay ?? []).map(ownChange)
    return keys.some((key) => onTheWay.includes(key))
  }

  /** One resync now, if anything is wanted; changes told meanwhile settle again after it. */
  #sync(): void {
    if (this.#syncing || !this.#streamUp || (this.#synced === this.#wanted && !this.#lookAgain)) return
    this.#syncing = (async () => {
      let failed = false
      try {
        this.#lookAgain = false
        this.#firstUnreadAt = 0
        // An answer told before now is read by this resync; a later event of it is looked at again.
        this.#ownAnswered.clear()
        const generation = this.#wanted
        await this.#resync()
        this.#synced = generation
        this.#failures = 0
      } catch {
        // A list that failed (garbage, a cut answer) fails live too: the host is answered live, as
        // stale, until a resync succeeds: its next event's or change's, or the retry's.
        this.#wanted++
        failed = true
      } finally {
        this.#syncing = null
      }
      if (failed) this.#retry()
      else if (this.#synced !== this.#wanted || this.#lookAgain) this.#settle()
    })()
  }

  /** Resyncs again after a pause that grows with each failure in a row. */
  #retry(): void {
    const delay = RETRY_MS[Math.min(this.#failures++, RETRY_MS.length - 1)]!
    this.#later(() => this.#sync(), delay)
  }

  async #resync(): Promise<void> {
    const signal = this.#abort.signal
    // Every read of this resync at one rank: the flock's resyncs finish in the order they began.
    const rank = this.lane.rank()
    const list = await this.lane.run(
      () => this.host.json<ContainerRow[] | null>('/containers/json?all=1', { signal }),
      rank,
    )
    const next = new Map<string, CachedRow>()
    const changed: ContainerRow[] = []
    const now = Date.now()
    for (const row of list ?? []) {
      const id = String(row.Id)
      const old = this.#rows.get(id)
      // The engine's Status must read as the cached times would word it: a health change, or an
      // exit and restart between two lists, leaves the rest of the row as it was.
      const same = old && statusText(old.fields.times, now) === row.Status &&
        sameRendering(old, this.#renderSplit(row))
      if (same) next.set(id, old)
      else changed.push(row)
    }
    let at = 0
    const worker = async () => {
      while (at < changed.length) {
        const row = changed[at++]!
        const inspect = await this.#inspect(String(row.Id), signal, rank)
        // Gone between the list and the inspect: the destroy event will resync.
        if (inspect) next.set(String(row.Id), this.#cached(row, inspect))
      }
    }
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, changed.length) }, worker))
    // Keep the engine's order (newest first, nanoseconds apart within one second).
    const ordered = (list ?? []).flatMap((row) => {
      const cached = next.get(String(row.Id))
      return cached ? [[String(row.Id), cached] as const] : []
    })
    this.#rows = new Map(ordered)
    this.#version++
    this.#names = new Map([...this.#rows.values()].map((row) => [row.fields.name, row.fields.id]))
    this.onRows([...this.#rows.keys()], list ?? [])
  }

  /**
   * A row's inspect, or null when the container has gone (404). Any other failure fails the resync:
   * a row left out for it would be a container missing from a list answered as exact.
   */
  async #inspect(id: string, signal: AbortSignal, rank: number): Promise<Inspect | null> {
    try {
      return await this.lane.run(() => this.host.json<Inspect>(`/containers/${id}/json`, { signal }), rank)
    } catch (error) {
      if (error instanceof DockerError && error.status === 404) return null
      throw error
    }
  }

  /** The rendered row around its Status (which changes with the clock, so is computed per list). */
  #renderSplit(row: ContainerRow): { bytes: Uint8Array; hole: number } {
    const [before, after] = JSON.stringify({ ...this.render(row), Status: STATUS_HOLE }).split(
      `"${STATUS_HOLE}"`,
    )
    const [head, tail] = [utf8.encode(before), utf8.encode(after)]
    // One buffer of its own, exactly as long as the row: the row's share of memory.
    const bytes = new Uint8Array(head.length + tail.length)
    bytes.set(head)
    bytes.set(tail, head.length)
    return { bytes, hole: head.length }
  }

  #cached(row: ContainerRow, inspect: Inspect): CachedRow {
    const { bytes, hole } = this.#renderSplit(row)
    const networks = Object.entries(row.NetworkSettings?.Networks ?? {})
      .map(([name, net]) => [name, String(net?.NetworkID ?? '')] as const)
    const mounts = row.Mounts ?? []
    return {
      fields: {
        id: String(row.Id),
        name: String(inspect.Name ?? row.Names?.[0] ?? ''),
        state: String(row.State ?? ''),
        labels: (row.Labels ?? {}) as Record<string, string>,
        networks,
        mountNames: mounts.map((m) => String(m.Name || m.Source || '')).filter(Boolean),
        mountDestinations: mounts.map((m) => String(m.Destination ?? '')).filter(Boolean),
        times: stateTimesOf(inspect),
      },
      created: Number(row.Created ?? 0),
      createdNanos: Number((rfc3339Nanos(String(inspect.Created ?? '')) ?? 0n) % 1_000_000_000n),
      bytes,
      hole,
    }
  }
}

function sameRendering(row: CachedRow, rendered: { bytes: Uint8Array; hole: number }): boolean {
  if (row.hole !== rendered.hole || row.bytes.length !== rendered.bytes.length) return false
  for (let i = 0; i < row.bytes.length; i++) if (row.bytes[i] !== rendered.bytes[i]) return false
  return true
}

/**
 * Writes that change no list row, so need no resync: exec instances, auth, sessions, and a container's
 * exec create and resize (`docker exec` sends its create before every start: a list read per exec
 * made the engine list its containers once more per exec). An exec create changes the container's
 * `ExecIDs`, which only its inspect shows: #stir already drops a kept inspect.
 */
const ROWS_UNCHANGED =
  /^(?:\/v[\d.]+)?\/(?:(?:exec|auth|session|grpc|_ping)\b|containers\/[^/?]+\/(?:exec|resize)(?:\?|$))/

const CREATE_PATH = /^(?:\/v[\d.]+)?\/containers\/create\?(.*)$/
const CONTAINER_PATH = /^(?:\/v[\d.]+)?\/containers\/([^/?]+)(?:\?|$)/

/**
 * What a write flocker sent changes, as its event will say: `create:NAME` for a named create,
 * `destroy:REF` for a removal (`DELETE /containers/REF`, the only write to that path), else nothing.
 */
function ownChange(path: string): string | undefined {
  const create = CREATE_PATH.exec(path)
  if (create) {
    const name = new URLSearchParams(create[1]).get('name')?.replace(/^\//, '')
    return name ? `create:${name}` : undefined
  }
  const ref = CONTAINER_PATH.exec(path)?.[1]
  return ref && ref !== 'create' && ref !== 'prune' ? `destroy:${ref}` : undefined
}

/**
 * The events that can change a row (or a kept inspect), asked of the engine by name: an engine busy
 * with attaches or copies (each one an event) sends none of them here, and of execs only their create
 * and die. create, rename and destroy come first, as
 * the test engines tell flocker's own followers by them. dockerd matches `health_status` as a prefix
 * (`health_status: healthy`). `relevant` still judges each event (an engine may ignore the filter).
 */
const ROW_EVENTS = {
  type: ['container', 'network', 'image'],
  event: [
    ...['create', 'rename', 'destroy', 'start', 'restart', 'die', 'stop', 'kill', 'oom', 'pause'],
    ...['unpause', 'update', 'health_status'],
    ...['connect', 'disconnect'], // network
    ...['tag', 'untag', 'delete', 'load', 'import', 'pull'], // image
    // A container's ExecIDs (in its inspect, kept by inspect-cache.ts) change with these two; dockerd
    // matches `exec_create` as a prefix (`exec_create: sh -c true`). exec_start is not asked.
    ...['exec_create', 'exec_die'],
  ],
}

/**
 * Container events change rows; network connect/disconnect change a row's networks; an image tagged,
 * untagged or removed changes the `Image` a row shows (dockerd shows the ID once the name has gone).
 */
function relevant(event: EngineEvent): boolean {
  if (event.Type === 'network') return event.Action === 'connect' || event.Action === 'disconnect'
  if (event.Type === 'image') return /^(tag|untag|delete|load|import|pull)$/.test(String(event.Action))
  const action = String(event.Action ?? event.status ?? '')
  // exec_*, attach, resize, top, archive-path, export, commit leave the list row as it was.
  return !/^(exec_|attach|detach|resize|top|archive-path|extract-to-dir|export|commit|copy)/.test(action)
}
