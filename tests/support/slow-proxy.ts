import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP proxy that passes the answers of `target` on at about `bytesPerSecond` per connection, so a
 * pull from a local registry lasts long enough for a test to kill a host in the middle of it.
 */
export async function startSlowProxy(
  target: { host: string; port: number },
  bytesPerSecond: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    throttle(upstream, client, bytesPerSecond)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** from -> to in slices of a tenth of the rate every 100 ms. */
function throttle(from: Socket, to: Socket, bytesPerSecond: number) {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10))
  const queue: Buffer[] = []
  let ended = false
  const timer = setInterval(() => {
    let budget = slice
    while (budget > 0 && queue.length) {
      const chunk = queue[0]!
      const part = chunk.subarray(0, budget)
      if (part.length === chunk.length) queue.shift()
      else queue[0] = chunk.subarray(budget)
      budget -= part.length
      to.write(part)
    }
    if (queue.length > 64) from.pause()
    else from.resume()
    if (ended && !queue.length) {
      clearInterval(timer)
      to.end()
    }
  }, 100)
  from.on('data', (chunk: Buffer) => queue.push(chunk))
  from.on('end', () => (ended = true))
  from.on('close', () => {
    ended = true
  })
  to.on('close', () => clearInterval(timer))
}
