import { createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP server that hands each connection to the test as a raw socket, for the hijack handshake and
 * the splice: the test writes the engine's bytes itself (a 101 in pieces, a 404, nothing at all).
 */
export interface RawEngine {
  readonly port: number
  /** Every connection so far, in order. */
  readonly sockets: Socket[]
  /** The next connection (already accepted or still to come). */
  nextSocket(): Promise<Socket>
  /** Resolves with the bytes a connection sent until `until` is in them (or it ended). */
  readUntil(socket: Socket, until: string): Promise<string>
  close(): Promise<void>
}

export async function rawEngine(onConnection: (socket: Socket) => void = () => {}): Promise<RawEngine> {
  const sockets: Socket[] = []
  const waiting: ((socket: Socket) => void)[] = []
  let taken = 0
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
    onConnection(socket)
    waiting.shift()?.(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    nextSocket() {
      const index = taken++
      if (sockets[index]) return Promise.resolve(sockets[index])
      return new Promise((resolve) => waiting.push(resolve))
    },
    readUntil(socket, until) {
      return new Promise((resolve) => {
        let text = ''
        const onData = (chunk: Buffer) => {
          text += chunk.toString('latin1')
          if (text.includes(until)) done()
        }
        const done = () => {
          socket.off('data', onData)
          socket.off('end', done)
          resolve(text)
        }
        socket.on('data', onData)
        socket.once('end', done)
      })
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Resolves when the peer of `socket` hung up (its FIN or a reset), reading and dropping what comes. */
export function closed(socket: Socket): Promise<void> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve()
  return new Promise((resolve) => {
    socket.once('end', () => resolve())
    socket.once('close', () => resolve())
    socket.resume()
  })
}

/** Writes `head`, then 64 KiB chunks of a chunked body as fast as `socket` takes them, until it closes. */
export function pourChunked(socket: Socket, head: string): void {
  socket.write(head)
  const chunk = `10000\r\n${'z'.repeat(0x10000)}\r\n`
  const pour = () => {
    while (!socket.destroyed && socket.write(chunk));
  }
  socket.on('drain', pour)
  pour()
}
