import type { Socket } from 'node:net'

/**
 * A socket read chunk by chunk while the answer head of an upgrade is parsed; `detach()` then hands
 * the socket, and whatever it read past the head, to the splice. Private to node-compat.
 */
export class SocketReader {
  readonly #queue: Uint8Array[] = []
  #ended = false
  #failure: unknown = null
  #wake: (() => void) | null = null

  constructor(readonly socket: Socket) {
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('error', this.#onError)
  }

  #onData = (chunk: Buffer) => {
    this.#queue.push(chunk)
    this.socket.pause()
    this.#notify()
  }
  #onEnd = () => {
    this.#ended = true
    this.#notify()
  }
  #onError = (error: unknown) => {
    this.#failure = error
    this.#notify()
  }
  #notify() {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const chunk = this.#queue.shift()
      if (chunk) return chunk
      if (this.#failure) throw this.#failure
      if (this.#ended) return null
      this.socket.resume()
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
  }

  close(): void {
    this.socket.destroy()
  }

  /** Stops buffering and returns the socket with the bytes read but not yet consumed. */
  detach(): { socket: Socket; pending: Uint8Array[]; ended: boolean } {
    this.socket.off('data', this.#onData)
    this.socket.off('end', this.#onEnd)
    this.socket.off('error', this.#onError)
    this.socket.pause()
    return { socket: this.socket, pending: this.#queue.splice(0), ended: this.#ended }
  }
}
