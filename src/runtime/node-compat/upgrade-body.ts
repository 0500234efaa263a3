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

/**
 * The chunked body of an Upgrade request, decoded: docker-modem (dockerode) frames every hijack
 * request that way, with an empty body (`0\r\n\r\n`) before the stream starts. Read up to `max`
 * body bytes; more is refused unread. Node hands the raw framing over (in `head` or on the socket);
 * a runtime whose `req` decodes it ends `req` after the body.
 */
export function chunkedUpgradeBody(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  max: number,
): Promise<{ body: Uint8Array; surplus: Uint8Array[] } | 'too large'> {
  let raw: Uint8Array = new Uint8Array(head)
  const decoded: Uint8Array[] = []
  return new Promise((resolve, reject) => {
    const finish = (result: { body: Uint8Array; surplus: Uint8Array[] } | 'too large') => {
      req.off('data', onDecoded)
      req.off('end', onEnd)
      socket.off('data', onRaw)
      socket.off('error', reject)
      socket.pause()
      resolve(result)
    }
    const check = () => {
      const parsed = parseChunked(raw, max)
      if (parsed === 'too large') finish('too large')
      else if (parsed) finish({ body: parsed.body, surplus: parsed.rest.byteLength ? [parsed.rest] : [] })
      else if (raw.byteLength > max + 1024) finish('too large')
    }
    const onRaw = (chunk: Buffer) => {
      raw = concatBytes([raw, chunk])
      check()
    }
    const onDecoded = (chunk: Buffer) => {
      decoded.push(chunk)
      if (decoded.reduce((sum, c) => sum + c.byteLength, 0) > max) finish('too large')
    }
    const onEnd = () => finish({ body: concatBytes(decoded), surplus: raw.byteLength ? [raw] : [] })
    req.on('data', onDecoded)
    req.once('end', onEnd)
    socket.on('data', onRaw)
    socket.once('error', reject)
    check()
  })
}

/** A complete chunked body at the start of `bytes` (and what follows it), or null while incomplete. */
export function parseChunked(
  bytes: Uint8Array,
  max: number,
): { body: Uint8Array; rest: Uint8Array } | null | 'too large' {
  const parts: Uint8Array[] = []
  let size = 0
  let at = 0
  for (;;) {
    const eol = indexOfCrlf(bytes, at)
    if (eol < 0) return null
    const line = new TextDecoder().decode(bytes.subarray(at, eol)).split(';')[0]!.trim()
    if (!/^[0-9a-fA-F]{1,8}$/.test(line)) return 'too large' // not chunked framing: refuse unread
    const length = Number.parseInt(line, 16)
    at = eol + 2
    if (length === 0) {
      // Trailer lines, then the empty line that ends the body.
      for (;;) {
        const end = indexOfCrlf(bytes, at)
        if (end < 0) return null
        const empty = end === at
        at = end + 2
        if (empty) return { body: concatBytes(parts), rest: bytes.subarray(at) }
      }
    }
    size += length
    if (size > max) return 'too large'
    if (bytes.byteLength < at + length + 2) return null
    parts.push(bytes.subarray(at, at + length))
    at += length + 2
  }
}

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.byteLength; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i
  return -1
}

function split(chunks: Uint8Array[], expected: number, declared: boolean) {
  const all = concatBytes(chunks)
  const body = declared ? all.subarray(0, Math.max(0, expected)) : null
  const rest = all.subarray(body?.byteLength ?? 0)
  return { body, surplus: rest.byteLength ? [rest] : [] }
}
