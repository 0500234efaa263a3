import type { Socket } from 'node:net'

/**
 * Joins the client and the engine into one raw duplex. Each side's EOF is passed on as a half-close,
 * so output the engine sends after the client closed stdin still arrives; an error on either side
 * tears down both.
 */
export function splice(
  client: Socket,
  upstream: Socket,
  options: { clientSurplus: Uint8Array[]; upstreamEnded: boolean },
): void {
  for (const chunk of options.clientSurplus) upstream.write(chunk)
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
  pipeHalf(client, upstream, finished)
  if (options.upstreamEnded) {
    client.end()
    finished()
  } else {
    pipeHalf(upstream, client, finished)
  }
  client.resume()
  upstream.resume()
}

/** from → to with backpressure; from's EOF becomes to.end() (a FIN, the socket stays readable). */
function pipeHalf(from: Socket, to: Socket, finished: () => void) {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause()
      to.once('drain', () => from.resume())
    }
  })
  from.once('end', () => {
    to.end()
    finished()
  })
}
