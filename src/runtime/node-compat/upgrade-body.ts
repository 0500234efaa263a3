import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { concatBytes } from './http1.ts'

/**
 * Reads the body of an Upgrade request (exec start carries `{"Detach":false,"Tty":false}`).
 * Where it arrives differs by runtime: Node puts it in `head` or later on the socket, Bun through
 * `req`, Deno through `req` or the socket. Listening to all three until Content-Length bytes are in
 * works everywhere. Bytes past the body are the start of the stream and are kept as `surplus`.
 */
export function upgradeRequestBody(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  timeout = 60_000,
): Promise<{ body: Uint8Array | null; surplus: Uint8Array[] }> {
  const declared = req.headers['content-length']
  const expected = declared === undefined ? 0 : Number.parseInt(declared, 10)
  const chunks: Uint8Array[] = []
  let received = 0
  const take = (chunk: Uint8Array) => {
    chunks.push(chunk)
    received += chunk.byteLength
  }
  if (head.byteLength) take(head)
  const result = () => split(chunks, expected, declared !== undefined)
  if (!(expected > 0) || received >= expected) {
    socket.pause()
    return Promise.resolve(result())
  }
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      take(chunk)
      if (received >= expected) finish()
    }
    const onEnd = () => finish()
    // A body that trickles in (a slow-loris client) is not waited for past `timeout`.
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the Upgrade request body did not arrive in time'))
    }, timeout)
    const finish = () => {
      clearTimeout(timer)
      req.off('data', onData)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', reject)
      socket.pause()
      resolve(result())
    }
    req.on('data', onData)
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

function split(chunks: Uint8Array[], expected: number, declared: boolean) {
  const all = concatBytes(chunks)
  const body = declared ? all.subarray(0, Math.max(0, expected)) : null
  const rest = all.subarray(body?.byteLength ?? 0)
  return { body, surplus: rest.byteLength ? [rest] : [] }
}
