import type { Flock } from './flock.ts'
import type { Host } from './host.ts'

/** What keeps an events stream per host of the flock: the list cache, the name index. */
export interface HostFollower {
  follow(hosts: Iterable<Host>): void
}

/** When the followers start if no request has been answered by then (ms after the app is made). */
export const FOLLOW_AFTER_MS = 1000

export interface LaterFollowing {
  /** Starts following now (once; later calls do nothing). */
  start(): void
  /** Never start (the app is closing). */
  cancel(): void
}

/**
 * Starts the followers when told (the app does once its first answer is out), or FOLLOW_AFTER_MS
 * after it was made, whichever comes first. Their events streams, list reads and inspects (a few requests per host
 * and one per container) would otherwise share start-up's CPU with the first host probe and the
 * first `/_ping` answer, which waits for that probe. Until a host is followed, its lists and
 * lookups are answered live, as for a host whose events stream is down.
 */
export function followLater(flock: Flock, followers: readonly (HostFollower | undefined)[]): LaterFollowing {
  let started = false
  const start = () => {
    if (started) return
    started = true
    clearTimeout(fallback)
    const active = followers.filter((follower) => follower !== undefined)
    const followAll = () => active.forEach((follower) => follower.follow(flock.all))
    if (active.length) flock.listeners.add(followAll)
    followAll()
  }
  const fallback = setTimeout(start, FOLLOW_AFTER_MS) // Waiting alone must not keep the process alive (library users, tests).
  ;(fallback as { unref?: () => void }).unref?.()
  return {
    start,
    cancel: () => {
      started = true
      clearTimeout(fallback)
    },
  }
}
