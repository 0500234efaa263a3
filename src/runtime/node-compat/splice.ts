import type { Socket } from 'node:net'
import { GatheredReads } from './gathered-reads.ts'

/**
 * Joins the client and the engine into one raw duplex. Each side's EOF is passed on as a half-close,
 * so output the engine sends after the client closed stdin still arrives; an error on either side
 * tears down both.
 */
export function splice(
  client: Socket,
  upstream: Socket,
  options: {
    clientSurplus: Uint8Array[]
    upstreamEnded: boolean
    /** Told the bytes each way (client to engine, engine to client) once both sockets closed. */
    onClose?: (bytesIn: number, bytesOut: number) => void
  },
): void {
  const counted = { in: 0, out: 0 }
  for (const chunk of options.clientSurplus) {
    counted.in += chunk.byteLength
    upstream.write(chunk)
  }
  if (options.onClose) {
    let closed = 0
    const onClose = options.onClose
    const report = () => ++closed === 2 && onClose(counted.in, counted.out)
    client.once('close', report)
    upstream.once('close', report)
  }
  let open = 2
  // Both directions ended: close each socket once what was written to it has been flushed.
  const finished = () => {
    if (--open > 0) return
    for (const socket of [client, upstream]) {
      if (socket.writableFinished) socket.destroy()
      else socket.once('finish', () => socket.destroy())
    }
  }
  const teardown = () => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', teardown)
  upstream.on('error', teardown)
  // A side that closes with an error (reset) takes the other down; a clean close has already
  // passed its EOF on, and destroying the other side now could drop bytes not yet flushed.
  client.on('close', (hadError) => hadError && upstream.destroy())
  upstream.on('close', (hadError) => hadError && client.destroy())
  pipeHalf(client, upstream, finished, (n) => (counted.in += n))
  if (options.upstreamEnded) {
    client.end()
    finished()
  } else {
    pipeHalf(upstream, client, finished, (n) => (counted.out += n))
  }
  client.resume()
  upstream.resume()
}

/**
 * from → to with backpressure, a trickling `from` read in gathers (GatheredReads); from's EOF becomes
 * to.end() (a FIN, the socket stays readable). One 'drain' listener serves the whole stream, as
 * stream.pipe keeps it: a read (64 KiB on Node) outgrows a socket's 16 KiB write buffer, so nearly
 * every chunk pauses `from`, and a once() per chunk cost a listener added and removed, and a closure,
 * each time.
 */
function pipeHalf(from: Socket, to: Socket, finished: () => void, count: (bytes: number) => void) {
  const reads = new GatheredReads(from)
  to.on('drain', () => reads.drained())
  from.on('data', (chunk: Buffer) => {
    count(chunk.byteLength)
    reads.passedOn(chunk.byteLength, to.write(chunk))
  })
  from.once('end', () => {
    to.end()
    finished()
  })
}
