import type { Socket } from 'node:net'
import type { ScavengeNudge } from './scavenge-nudge.ts'

/**
 * Counts open client connections and closes those past the cap at once. The count also tells the
 * scavenge nudge (Deno) when the first client came and the last one left.
 */
export class ConnectionCap {
  #open = 0
  constructor(readonly max: number, private readonly nudge?: ScavengeNudge) {}

  admit(socket: Socket): boolean {
    if (this.#open >= this.max) {
      socket.destroy()
      return false
    }
    if (this.#open++ === 0) this.nudge?.start()
    socket.once('close', () => {
      if (--this.#open === 0) this.nudge?.stop()
    })
    return true
  }
}
