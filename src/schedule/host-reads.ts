/**
 * What each host holds (its containers, images, volumes, networks), read for many creates at once.
 *
 * A burst of creates (compose, a script firing 20 at once) must not cost each create a round trip
 * to every host: each list of each host is read once for every create that can use that read, and
 * at most one read of a list waits behind the one in flight. Which reads a create can use:
 *
 * - `after` a mark (a named create's free-name check, and its placement): only a read begun after
 *   the mark, so it sees every container an engine had made before it (the name's last holder
 *   released its reservation only once its engine had answered). A read in flight that began
 *   earlier is not joined: the next one, begun as soon as that one ends, serves every create that
 *   waited for it.
 * - `any`: the read in flight if there is one, else the latest finished one while the host's events
 *   say its list is still current (below), else a new one (placement: the scheduler adds its own
 *   placements the read may not show, those still on their way and those answered after the read
 *   began; see scheduler.ts and memory.ts).
 *
 * A finished read stays current while the host's events stream has been up since before it began
 * (`followed`) and no event since then told of a change to that list other than this process's own
 * creates (`changed`; schedule/host-changes.ts), and for `maxAge` ms at most (the scheduler
 * remembers its answered placements for longer). A change made on the engine directly is thus seen
 * by the first placement after its event arrived, as a read begun then would see it.
 *
 * Marks, reads and changes are ordered by a counter, not a clock: a read is newer than a mark (or a
 * change) exactly when it was sent after the mark was taken (or the change was told).
 */
import type { Host } from '../flock/host.ts'

export type ListKind = 'containers' | 'images' | 'volumes' | 'networks'

/** Which reads a caller can use: `any`, or those begun after a mark (see HostReads.mark). */
export type ReadFreshness = 'any' | { readonly after: number }

/** One read of one list of one host. */
export interface ListRead<T> {
  /** Its place in the order of marks and reads. */
  readonly seq: number
  /** When it began (Date.now()): the scheduler's in-flight placements answered later are added to it. */
  readonly since: number
  readonly value: Promise<T>
}

interface Slot {
  /** The counter when the last change to this list was told (a read must be newer to stay current). */
  changedAt: number
  /** The latest read begun, in flight or done (kept for callers whose mark is older). */
  current?: ListRead<unknown> & { done: boolean }
  /** The read that begins when `current` ends, shared by every caller waiting for a newer one. */
  next?: Promise<ListRead<unknown>>
}

export class HostReads {
  #seq = 0
  readonly #slots = new WeakMap<Host, Map<ListKind, Slot>>()
  /** Hosts whose events stream is up, with the counter when it came up. */
  readonly #followed = new WeakMap<Host, number>()

  /** `maxAge`: how long a finished read may stay current (ms); 0, never (every `any` read is joined or new). */
  constructor(private readonly maxAge = 0) {}

  /** The host's events stream is up: from now on every change to its lists is told (`changed`). */
  followed(host: Host): void {
    this.#followed.set(host, this.#seq)
  }

  /** The host's events stream is down: no finished read of it stays current. */
  unfollowed(host: Host): void {
    this.#followed.delete(host)
  }

  /** The host's events told of a change to `kind`: reads begun before are no longer current. */
  changed(host: Host, kind: ListKind): void {
    this.#slot(host, kind).changedAt = this.#seq
  }

  /** A mark: reads begun from now on are `after` it. */
  mark(): number {
    return this.#seq
  }

  /**
   * A read of `kind` on `host` the caller can use, joined or begun; `start` sends it (with its own
   * deadline). A failed read is not kept: the next caller begins another.
   */
  read<T>(
    host: Host,
    kind: ListKind,
    freshness: ReadFreshness,
    start: () => Promise<T>,
  ): Promise<ListRead<T>> {
    const slot = this.#slot(host, kind)
    const current = slot.current
    if (current) {
      const usable = freshness === 'any'
        ? !current.done || this.#stillCurrent(host, slot, current)
        : current.seq > freshness.after
      if (usable) return Promise.resolve(current as ListRead<T>)
      // The next read begins after this call: newer than the caller's mark.
      if (slot.next) return slot.next as Promise<ListRead<T>>
      if (!current.done) {
        // Every caller that needs a newer read than the one in flight waits for the same next one.
        slot.next ??= current.value.then(noop, noop).then(() => {
          slot.next = undefined
          return this.#begin(slot, start)
        })
        return slot.next as Promise<ListRead<T>>
      }
    }
    return Promise.resolve(this.#begin(slot, start))
  }

  #stillCurrent(host: Host, slot: Slot, read: ListRead<unknown>): boolean {
    const followedAt = this.#followed.get(host)
    return followedAt !== undefined && read.seq > followedAt && read.seq > slot.changedAt &&
      Date.now() - read.since < this.maxAge
  }

  #begin<T>(slot: Slot, start: () => Promise<T>): ListRead<T> {
    const read = { seq: ++this.#seq, since: Date.now(), value: start(), done: false }
    slot.current = read
    read.value.then(
      () => (read.done = true),
      () => {
        read.done = true
        if (slot.current === read) slot.current = undefined
      },
    )
    return read
  }

  #slot(host: Host, kind: ListKind): Slot {
    let kinds = this.#slots.get(host)
    if (!kinds) this.#slots.set(host, kinds = new Map())
    let slot = kinds.get(kind)
    if (!slot) kinds.set(kind, slot = { changedAt: 0 })
    return slot
  }
}

const noop = () => {}
