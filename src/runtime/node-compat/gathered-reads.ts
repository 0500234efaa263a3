import type { Socket } from 'node:net'

/** A read smaller than this means the peer trickles (see GatheredReads). */
export const SMALL_READ = 16 * 1024
/** How long a trickling peer's bytes gather before the next read: an echoed keystroke waits at most this. */
export const GATHER_MS = 1

/**
 * Paces the reads off a socket whose bytes are passed on as they come. Backpressure: a full sink
 * pauses the socket until it drains. Gathering: a peer that trickles (dockerd writes an exec's output
 * in 4 KiB frames, its logs a chunk per line) would cost a read and a write per frame when the proxy
 * keeps up, here and in the client; after a small read the socket rests for GATHER_MS, so the next
 * read takes what gathered in the kernel meanwhile. What was read is always passed on at once.
 */
export class GatheredReads {
  #full = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly socket: Socket) {
    socket.once('close', () => this.#stopGathering())
  }

  /** One read of `bytes` was passed on; `accepted`: the sink can take more now. */
  passedOn(bytes: number, accepted: boolean): void {
    if (!accepted) {
      this.#full = true
      this.socket.pause()
    } else if (bytes < SMALL_READ && !this.#timer) {
      this.socket.pause()
      this.#timer = setTimeout(this.#gathered, GATHER_MS)
    }
  }

  /** The sink took what it had ('drain'). */
  drained(): void {
    this.#full = false
    if (!this.#timer) this.socket.resume()
  }

  #gathered = (): void => {
    this.#timer = undefined
    if (!this.#full) this.socket.resume()
  }

  #stopGathering(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
