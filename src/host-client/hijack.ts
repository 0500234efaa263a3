import type { Host } from '../flock/host.ts'
import type { HijackCapability } from '../runtime/types.ts'
import { concatBytes, encodeRequestHead, headEnd, parseResponseHead } from './http1.ts'

const MAX_HEAD = 64 * 1024

/**
 * Sends an Upgrade request (attach, exec start, /session) to a host on a connection of its own.
 * When the engine switches protocols, the answer is a splice order: the adapter writes the engine's
 * 101 head (and any stream bytes that came with it) to the client and joins the two connections.
 * Any other answer (404 No such container, 409 ...) is returned as a plain response.
 */
export async function hijackTo(
  host: Host,
  capability: HijackCapability,
  request: { method: string; path: string; headers: Headers; body: Uint8Array | null; signal?: AbortSignal },
): Promise<Response> {
  const connection = await host.dial(request.signal)
  try {
    const headers = new Headers(request.headers)
    headers.set('host', 'docker')
    headers.delete('content-length')
    headers.delete('transfer-encoding')
    if (request.body) headers.set('content-length', String(request.body.byteLength))
    await connection.write(encodeRequestHead(request.method, request.path, headers))
    if (request.body?.byteLength) await connection.write(request.body)

    const received: Uint8Array[] = []
    let end = -1
    while (end < 0) {
      const chunk = await connection.read()
      if (!chunk) throw new Error(`host ${host.name} closed the connection before answering`)
      received.push(chunk)
      const bytes = concatBytes(received.splice(0))
      received.push(bytes)
      end = headEnd(bytes)
      if (end < 0 && bytes.byteLength > MAX_HEAD) throw new Error(`host ${host.name} sent an oversized head`)
    }
    const bytes = received[0]!
    const head = parseResponseHead(bytes.subarray(0, end))
    if (head.status === 101) return capability.splice(connection, bytes)
    return await plainAnswer(connection, head, bytes.subarray(end))
  } catch (error) {
    connection.close()
    throw error
  }
}

/** Reads the rest of a non-upgrade answer (an error) and returns it as a Response. */
async function plainAnswer(
  connection: Awaited<ReturnType<Host['dial']>>,
  head: ReturnType<typeof parseResponseHead>,
  already: Uint8Array,
): Promise<Response> {
  const length = Number(head.headers.get('content-length') ?? NaN)
  const chunks = [already]
  let total = already.byteLength
  while (!(total >= length)) {
    const chunk = await connection.read()
    if (!chunk) break
    chunks.push(chunk)
    total += chunk.byteLength
  }
  connection.close()
  const headers = new Headers(head.headers)
  for (const name of ['content-length', 'connection', 'transfer-encoding', 'upgrade']) headers.delete(name)
  const body = concatBytes(chunks)
  const status = head.status >= 200 && head.status <= 599 ? head.status : 502
  return new Response((Number.isFinite(length) ? body.subarray(0, length) : body) as BodyInit, {
    status,
    headers,
  })
}
