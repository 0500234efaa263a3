import type { Socket } from 'node:net'

/** Where a request came from (`127.0.0.1:50412`, `unix`), worked out only if asked (logs, metrics). */
export function clientEnv(socket: Socket | undefined): { readonly client?: string } {
  return {
    get client() {
      if (!socket) return undefined
      const { remoteAddress, remotePort } = socket
      if (!remoteAddress) return 'unix'
      return remoteAddress.includes(':')
        ? `[${remoteAddress}]:${remotePort}`
        : `${remoteAddress}:${remotePort}`
    },
  }
}
