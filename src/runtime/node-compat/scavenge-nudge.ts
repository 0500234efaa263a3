/** How often V8 is let look at its young ArrayBuffers while a client is connected. */
const EVERY_MS = 20

/**
 * Deno reads each socket chunk into memory it allocates itself and hands to V8 as an ArrayBuffer.
 * V8 frees the dead ones at a scavenge, and asks for one once young ArrayBuffers hold twice its
 * semi-space, but it checks that only when JavaScript allocates an ArrayBuffer through V8
 * (`Heap::AllocateExternalBackingStore`), which a proxy passing chunks on never does. So on Deno the
 * chunks carried piled up until a major GC, whose turn comes later the larger the heap: flocker's
 * RSS rose by about 200 MiB in its first stream, the bare proxy's (half the heap) by 60 and by 350 once
 * given flocker's heap. While a client is connected, one byte allocated every 20 ms lets V8 check:
 * a scavenge when the threshold is passed, else nothing. Node allocates its reads through V8 and
 * checks on every one; Bun's JavaScriptCore counts them itself. The server's connection count
 * starts and stops it (connection-cap.ts).
 */
export class ScavengeNudge {
  #timer: ReturnType<typeof setInterval> | undefined
  /** Kept, so that the allocation is not optimised away. */
  #probe: ArrayBuffer | undefined

  /** The first client connected: let V8 check from now on. */
  start(): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => (this.#probe = new ArrayBuffer(1)), EVERY_MS)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  /** The last client left. */
  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Whether V8 is being let check (a client is connected). */
  get nudging(): boolean {
    return this.#timer !== undefined
  }
}
