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
 * - `any`: the read in flight if there is one, else a new one (placement of an unnamed create: the
 *   scheduler adds its own placements the read may not show; see scheduler.ts).
 *
 * Marks and reads are ordered by a counter, not a clock: a read is newer than a mark exactly when it
 * was sent after the mark was taken.
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
  /** The latest read begun, in flight or done (kept for callers whose mark is older). */
  current?: ListRead<unknown> & { done: boolean }
  /** The read that begins when `current` ends, shared by every caller waiting for a newer one. */
  next?: Promise<ListRead<unknown>>
}

export class HostReads {
  #seq = 0
  readonly #slots = new WeakMap<Host, Map<ListKind, Slot>>()

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
      const usable = freshness === 'any' ? !current.done : current.seq > freshness.after
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
    if (!slot) kinds.set(kind, slot = {})
    return slot
  }
}

const noop = () => {}
