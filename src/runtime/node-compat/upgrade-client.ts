import * as net from 'node:net'
import * as tls from 'node:tls'
import type { Endpoint, UpgradeAnswer, UpgradedConnection, UpgradeRequest } from '../types.ts'
import { concatBytes, encodeRequestHead, headEnd, parseResponseHead, type ResponseHead } from './http1.ts'
import { SocketReader } from './socket-reader.ts'
import { tlsOptions } from './tls-options.ts'

const MAX_HEAD = 64 * 1024
/** An engine's refusal (404, 409) is a short JSON message; more is not read. */
const MAX_REFUSAL_BODY = 1024 * 1024
export const DEFAULT_UPGRADE_TIMEOUT = 30_000

/** The engine's side of a switched connection, held until the server splices it (or closes it). */
export class UpgradedSocket implements UpgradedConnection {
  constructor(
    readonly socket: net.Socket,
    /** The engine's 101 head, exactly as received. */
    readonly head: Uint8Array,
    /** Stream bytes that came after the head. */
    readonly pending: readonly Uint8Array[],
    /** The engine already ended its side. */
    readonly ended: boolean,
  ) {
    // Until the splice takes over, an error must not go unhandled (it would end the process).
    socket.on('error', () => socket.destroy())
  }

  close(): void {
    this.socket.destroy()
  }
}

/**
 * The hijack handshake: sends an Upgrade request (attach, exec start, /session) on a connection of
 * its own and reads the answer head. A 101 gives the connection to splice; any other answer (404 No
 * such container, 409...) comes back as a Response with the engine's message. The answer must come
 * within `timeout` ms of the dial (a frozen engine fails the request instead of holding it), and a
 * client that leaves (`request.signal`) aborts the dial and the wait.
 *
 * Not node's client 'upgrade' event: Bun's node:http client did not emit it on a 101. Not undici's
 * upgrade(): it turns any answer but 101 into an error and loses the engine's message.
 */
export async function upgrade(
  endpoint: Endpoint,
  request: UpgradeRequest,
  timeout = DEFAULT_UPGRADE_TIMEOUT,
): Promise<UpgradeAnswer> {
  const socket = dial(endpoint)
  const reader = new SocketReader(socket)
  const timer = setTimeout(
    () => socket.destroy(new Error(`no answer to the upgrade within ${timeout / 1000} s`)),
    timeout,
  )
  const leave = () => socket.destroy(new Error('the client left during the upgrade'))
  request.signal?.addEventListener('abort', leave, { once: true })
  try {
    if (request.signal?.aborted) leave()
    // Head and body in one write, not waited for: the engine gets the whole request in one segment
    // and the answer is read at once (a failed write fails the read). Waiting for each write's
    // callback left the body a turn of the event loop behind the head, which a busy loop made long.
    const requestHead = encodeRequestHead(request.method, request.path, upgradeHeaders(request))
    socket.write(request.body?.byteLength ? concatBytes([requestHead, request.body]) : requestHead)
    const { head, rest } = await readHead(reader)
    if (head.status !== 101) return { upgraded: false, response: await refusal(reader, head, rest) }
    const { pending, ended } = reader.detach()
    return { upgraded: true, connection: new UpgradedSocket(socket, head.raw, [rest, ...pending], ended) }
  } catch (error) {
    socket.destroy()
    throw error
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', leave)
  }
}

/** A raw connection; allowHalfOpen: the client's EOF on stdin must reach the engine while output flows. */
export function dial(endpoint: Endpoint): net.Socket {
  const plain = endpoint.kind === 'unix'
    ? net.connect({ path: endpoint.path, allowHalfOpen: true })
    : net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true })
  plain.setNoDelay(true)
  return endpoint.tls ? tls.connect({ socket: plain, ...tlsOptions(endpoint) }) : plain
}

function upgradeHeaders(request: UpgradeRequest): Headers {
  const headers = new Headers(request.headers)
  headers.set('host', 'docker')
  headers.delete('content-length')
  headers.delete('transfer-encoding')
  if (request.body) headers.set('content-length', String(request.body.byteLength))
  return headers
}

/** Reads an answer's head off `reader`: the head, and the bytes that came after it. */
export async function readHead(reader: SocketReader): Promise<{ head: ResponseHead; rest: Uint8Array }> {
  let bytes: Uint8Array = new Uint8Array()
  for (;;) {
    const chunk = await reader.read()
    if (!chunk) throw new Error('the engine closed the connection before answering')
    bytes = concatBytes([bytes, chunk])
    const end = headEnd(bytes)
    if (end >= 0) return { head: parseResponseHead(bytes.subarray(0, end)), rest: bytes.subarray(end) }
    if (bytes.byteLength > MAX_HEAD) throw new Error('the engine sent an oversized head')
  }
}

/** Reads the rest of a non-upgrade answer (an error) and returns it as a Response. */
async function refusal(reader: SocketReader, head: ResponseHead, already: Uint8Array): Promise<Response> {
  // Anything but a plainly framed error is a broken engine: the caller reports it naming the host.
  if (head.status < 400) throw new Error(`the engine answered an upgrade with ${head.status}, not 101`)
  if (head.headers.has('transfer-encoding')) throw new Error('the engine sent a chunked refusal')
  const length = Number(head.headers.get('content-length') ?? NaN)
  const limit = Number.isFinite(length) ? Math.min(length, MAX_REFUSAL_BODY) : MAX_REFUSAL_BODY
  const chunks = [already]
  let total = already.byteLength
  while (total < limit) {
    const chunk = await reader.read()
    if (!chunk) break
    chunks.push(chunk)
    total += chunk.byteLength
  }
  reader.close()
  if (Number.isFinite(length) && total < limit) throw new Error('the engine closed the connection mid-answer')
  const headers = new Headers(head.headers)
  for (const name of ['content-length', 'connection', 'transfer-encoding', 'upgrade']) headers.delete(name)
  const status = head.status >= 200 && head.status <= 599 ? head.status : 502
  return new Response(concatBytes(chunks).subarray(0, limit) as BodyInit, { status, headers })
}
