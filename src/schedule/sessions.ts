import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'

/** How long a BuildKit session's host is remembered (a session lasts as long as its build). */
export const SESSION_TTL = 60 * 60_000
/** At most this many sessions are remembered; the oldest go first. */
const MAX_SESSIONS = 1_000

/**
 * BuildKit sessions and the host each was opened on. A client opens `/session` (header
 * `X-Docker-Expose-Session-Uuid: ID`) before it sends `/build?session=ID`: the build must run where
 * its session is, as Swarm classic pinned both by session ID.
 */
export class SessionPins {
  #pins = new Map<string, { host: Host; expires: number }>()

  pin(id: string, host: Host): void {
    this.#pins.delete(id)
    this.#pins.set(id, { host, expires: Date.now() + SESSION_TTL })
    if (this.#pins.size > MAX_SESSIONS) this.#pins.delete(this.#pins.keys().next().value!)
  }

  /** The host the session was opened on, if it is known and not expired. */
  hostOf(id: string): Host | undefined {
    const pin = this.#pins.get(id)
    if (!pin) return undefined
    if (pin.expires >= Date.now()) return pin.host
    this.#pins.delete(id)
    return undefined
  }

  /** The host of the session opened last (for `/grpc`, which names no session). */
  latest(): Host | undefined {
    const entries = [...this.#pins.values()]
    return entries.at(-1)?.host
  }
}

const pins = new WeakMap<Flock, SessionPins>()

/** The session pins of one flock (one per app). */
export function sessionPinsOf(flock: Flock): SessionPins {
  let found = pins.get(flock)
  if (!found) pins.set(flock, found = new SessionPins())
  return found
}
