import { connect } from 'node:net'

/**
 * Sends bytes exactly as written (fetch would normalise the path, refuse odd heads or fix them) and
 * returns what came back until the server closed or `ms` passed. For requests a real client would
 * never send: the front door's tests.
 */
export function rawRequest(
  port: number,
  head: string,
  body: Uint8Array | string = '',
  ms = 5_000,
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const timer = setTimeout(done, ms)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('close', done)
    socket.on('error', done)
    socket.write(head)
    if (body.length) socket.write(body)
  })
}

/** The status code of a raw HTTP/1.1 answer (0 when none came). */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0)
}
