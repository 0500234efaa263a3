import type { Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * What a server is carrying, so that it can stop gracefully: plain requests still waiting for their
 * answer are let finish; streams (an answer whose head went out: logs -f, events, pull) and
 * hijacked connections (attach, exec) get a grace period, then are closed.
 */
export class Drain {
  readonly #responses = new Set<ServerResponse>()
  readonly #hijacked = new Set<Socket>()
  #draining = false
  #changed: (() => void) | null = null

  /** Tracks one request's answer until its connection is done with it. */
  request(res: ServerResponse): void {
    if (this.#draining) res.shouldKeepAlive = false
    this.#responses.add(res)
    res.once('close', () => this.#forget(() => this.#responses.delete(res)))
  }

  /** Tracks a client connection taken over for a splice. */
  hijacked(socket: Socket): void {
    this.#hijacked.add(socket)
    socket.once('close', () => this.#forget(() => this.#hijacked.delete(socket)))
  }

  /**
   * Stops `servers` accepting, then waits: streams and hijacked connections until they end or
   * `grace` ms pass (then they are closed, the engine side with them); plain requests until answered.
   */
  async shutdown(servers: readonly Server[], grace: number): Promise<void> {
    this.#draining = true
    for (const server of servers) server.close()
    const idle = setInterval(() => servers.forEach((server) => server.closeIdleConnections?.()), 100)
    try {
      const graceOver = new Promise<'grace over'>((resolve) => {
        const timer = setTimeout(() => resolve('grace over'), grace)
        ;(timer as { unref?: () => void }).unref?.()
      })
      const allDone = this.#until(() => this.#responses.size === 0 && this.#hijacked.size === 0)
      if (await Promise.race([allDone, graceOver]) === 'grace over') {
        const cut = new Error('flocker is shutting down')
        // An error, not a clean close: the splice then closes the engine side too.
        for (const socket of this.#hijacked) socket.destroy(cut)
        for (const res of this.#responses) if (res.headersSent) res.destroy(cut)
        await this.#until(() => this.#responses.size === 0)
      }
      servers.forEach((server) => server.closeAllConnections?.())
    } finally {
      clearInterval(idle)
    }
  }

  #forget(remove: () => void) {
    remove()
    this.#changed?.()
  }

  #until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return
        this.#changed = null
        resolve()
      }
      this.#changed = check
      check()
    })
  }
}
