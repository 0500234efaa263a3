import { framingOf } from '../body-framing.ts'
import type { Endpoint, HostRequest } from '../types.ts'
import { withWholeBody } from '../whole-body.ts'
import {
  abortReason,
  endToEnd,
  NULL_BODY_STATUS,
  readWholeBody,
  SMALL_BODY,
  toNodeHeaders,
} from './host-answer.ts'
import { encodeRequestHead, type ResponseHead } from './http1.ts'
import { RawDownload } from './raw-download.ts'
import { SocketReader } from './socket-reader.ts'
import { dial, readHead } from './upgrade-client.ts'

/**
 * A download (HostRequest.download: logs, export, `cp`, save) on a connection of its own: the answer's
 * head is parsed here and its body left as the engine framed it (raw-download.ts), for the serving
 * adapter to forward as it is. The engine is asked to close after the answer, and flocker closes it at
 * the body's end anyway. No timeout, as for any stream: the request's abort (the client left, or the
 * health checks found the host frozen) ends it, before the head or after.
 */
export async function requestDownload(
  endpoint: Endpoint,
  request: HostRequest,
  /** The serving adapter can write the engine's framing as it is (else it writes the decoded bytes). */
  rawWritable: boolean,
): Promise<Response> {
  const socket = dial(endpoint)
  const reader = new SocketReader(socket)
  const signal = request.signal
  let reject: (error: Error) => void = () => {}
  // Not only the socket's error: a destroyed socket's 'error' is not what every runtime emits.
  const aborted = new Promise<never>((_, fail) => (reject = fail))
  const abort = () => {
    const error = abortReason(signal!)
    socket.destroy(error)
    reject(error)
  }
  const release = () => signal?.removeEventListener('abort', abort)
  signal?.addEventListener('abort', abort)
  try {
    if (signal?.aborted) abort()
    socket.write(encodeRequestHead(request.method, request.path, downloadHeaders(request.headers)))
    const { head, rest } = await Promise.race([readHead(reader), aborted])
    const { pending, ended } = reader.detach()
    const framing = framingOf(head.status, head.headers)
    const body = new RawDownload(framing, socket, [rest, ...pending], ended, release, rawWritable)
    return await answer(head, body, request.whole)
  } catch (error) {
    socket.destroy()
    release()
    throw error
  }
}

function downloadHeaders(headers: Headers): Headers {
  const out = new Headers(toNodeHeaders(headers) as Record<string, string>)
  out.set('host', 'docker')
  out.delete('content-length')
  out.set('connection', 'close')
  return out
}

/** The answer as a Response: read whole when small (an engine's refusal), else the raw download's. */
async function answer(head: ResponseHead, body: RawDownload, whole?: boolean): Promise<Response> {
  const init = { status: head.status, statusText: head.statusText, headers: endToEnd(head.headers) }
  if (NULL_BODY_STATUS.has(head.status)) {
    body.abandon()
    return new Response(null, init)
  }
  const framing = body.framing
  if (whole || (framing.kind === 'length' && framing.bytes <= SMALL_BODY)) {
    // The decoded stream errors when the engine's connection is cut before the body's end.
    const bytes = await readWholeBody(body.decoded, () => body.decoded.readableEnded)
    return withWholeBody(new Response(bytes as BodyInit, init), bytes)
  }
  return new Response(body.webBody(), init)
}
