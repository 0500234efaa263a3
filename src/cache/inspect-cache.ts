/**
 * Container (and image) inspects from memory (with the list cache): the answer flocker last gave for
 * a container, kept while its host's events stream shows that nothing happened there since the engine was asked.
 *
 * Coarse on purpose: any event of the host (a container's, a network's, an image's), any change sent
 * through flocker and any break of the stream makes every kept inspect of that host stale, so a kept
 * answer can only be one the engine would give now. An answer is kept only when asked after the
 * host had been quiet for QUIET_MS: dockerd announces some changes before its inspect shows them (a
 * network teardown after `die`, a health result after its probe's `exec_die`).
 *
 * Never kept: a container with a health check (a probe that times out changes the inspect with no
 * event of its own), one with exec instances (dockerd drops an exec never started after 5 minutes,
 * silently), and one in a passing state (restarting, removing).
 */
import { LRUCache } from 'lru-cache'

/** What a host's feed tells of its events (host-feed.ts). */
export interface InspectWindow {
  /** Bumped by every event, every change made through flocker and every (re)connection. */
  readonly epoch: number
  /** When (Date.now()) the epoch was last bumped. */
  readonly quietSince: number
  readonly streamUp: boolean
}

/** Taken before the engine is asked: the answer may be kept only if nothing happened meanwhile. */
export interface InspectTicket {
  readonly window: InspectWindow
  readonly epoch: number
}

/** The inspect fields that decide whether an answer may be kept. */
export interface KeepableInspect {
  readonly Id?: unknown
  readonly ExecIDs?: readonly unknown[] | null
  readonly State?: { readonly Status?: unknown; readonly Health?: unknown } | null
}

interface Kept {
  readonly window: InspectWindow
  readonly epoch: number
  /** What else the rendering saw (the host's facts, for its `Node`): another means render again. */
  readonly stamp: unknown
  readonly bytes: Uint8Array
  readonly headers: Readonly<Record<string, string>>
}

/** A kept answer: the rendered body and the engine's headers that describe it. */
export interface KeptInspect {
  readonly bytes: Uint8Array
  readonly headers: Readonly<Record<string, string>>
}

/** How long a host must have been quiet before an inspect asked of it is kept. */
export const QUIET_MS = 3_000
/** Bytes of kept answers at most (a few KB each); beyond, the least recently used go. */
const MAX_BYTES = 32 * 1024 * 1024
const STEADY = new Set(['created', 'running', 'paused', 'exited', 'dead'])

export class InspectCache {
  readonly #kept = new LRUCache<string, Kept>({
    maxSize: MAX_BYTES,
    sizeCalculation: (kept) => kept.bytes.length + 100,
  })

  constructor(private readonly now: () => number = Date.now) {}

  /** A ticket to keep what the engine answers next, or undefined (the host is not quiet). */
  ticket(window: InspectWindow | undefined): InspectTicket | undefined {
    if (!window?.streamUp || this.now() - window.quietSince < QUIET_MS) return undefined
    return { window, epoch: window.epoch }
  }

  /**
   * Keeps a rendered answer under `key` (a full container ID; an image's host, API version and
   * reference), if nothing happened on its host since the ticket.
   */
  keep(ticket: InspectTicket, key: string, stamp: unknown, answer: KeptInspect): void {
    const { window, epoch } = ticket
    if (window.epoch !== epoch || !window.streamUp) return
    this.#kept.set(key, { window, epoch, stamp, ...answer })
  }

  /** The kept answer under `key`, while it stands. */
  answer(window: InspectWindow | undefined, key: string, stamp: unknown): KeptInspect | undefined {
    const kept = this.#kept.get(key)
    if (!kept || !window?.streamUp || kept.window !== window) return undefined
    if (kept.epoch !== window.epoch || kept.stamp !== stamp) return undefined
    return kept
  }

  get size(): number {
    return this.#kept.size
  }
}

/** Whether a container's inspect may be kept at all (see the top of this file). */
export function keepableContainer(inspect: KeepableInspect): boolean {
  return typeof inspect.Id === 'string' && !inspect.ExecIDs?.length && !inspect.State?.Health &&
    STEADY.has(String(inspect.State?.Status))
}
