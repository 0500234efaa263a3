import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FetchHandler, ServeEnv, SpliceClosed, UpgradedConnection } from '../types.ts'
import { withHeaders } from './http1.ts'
import { clientOf } from './client-connection.ts'
import { splice } from './splice.ts'
import { UpgradedSocket } from './upgrade-client.ts'

/** Headers of the app's answer that must not reach a 101 head (framing, and the engine's own). */
const NOT_IN_101 = new Set(['content-length', 'transfer-encoding', 'connection', 'upgrade', 'content-type'])

/**
 * Runs an Upgrade request (its body already read) through `handler`. The splice order is kept per
 * request in a closure, as @hono/node-server keeps its WebSocket waiter, and not recognised by the
 * Response object: outer middleware (cors, a header set after next()) re-creates the Response.
 * The order is carried out whatever object comes back, with headers middleware added put into the
 * 101 head; if the app's final answer is not a success (a later middleware refused) or the client is
 * gone, that answer is written instead and the engine connection closed. Shared by the 'upgrade'
 * event and by nodeRequestListener, which takes the socket over from a request handler.
 */
export async function answerUpgrade(
  handler: FetchHandler,
  req: IncomingMessage,
  socket: Socket,
  body: Uint8Array | null,
  surplus: Uint8Array[],
): Promise<void> {
  socket.setNoDelay(true)
  socket.on('error', () => socket.destroy())
  // The client leaving during the handshake aborts the engine dial (the handler passes the signal on).
  const left = new AbortController()
  const leave = () => left.abort(new Error('the client left'))
  socket.once('close', leave)
  let order: UpgradedSocket | null = null
  let onClose: SpliceClosed | undefined
  const env: ServeEnv = {
    client: clientOf(req),
    hijack: {
      splice(upstream: UpgradedConnection, closed?: SpliceClosed) {
        if (!(upstream instanceof UpgradedSocket)) {
          upstream.close()
          throw new Error('an upgraded connection from another runtime adapter cannot be spliced here')
        }
        order?.close()
        order = upstream
        onClose = closed
        return new Response(null, { status: 200 })
      },
    },
  }
  let response: Response
  try {
    response = await handler(toRequest(req, body, left.signal), env)
  } catch (error) {
    ;(order as UpgradedSocket | null)?.close()
    onClose?.(0, 0)
    throw error
  } finally {
    socket.off('close', leave)
  }
  const upstream = order as UpgradedSocket | null
  if (upstream && response.ok && !socket.destroyed) {
    socket.write(withHeaders(upstream.head, middlewareHeaders(response)))
    for (const chunk of upstream.pending) if (chunk.byteLength) socket.write(chunk)
    // Bytes the engine sent with its 101 head count as engine-to-client bytes of the stream.
    const early = upstream.pending.reduce((sum, chunk) => sum + chunk.byteLength, 0)
    splice(socket, upstream.socket, {
      clientSurplus: surplus,
      upstreamEnded: upstream.ended,
      onClose: onClose && ((bytesIn, bytesOut) => onClose!(bytesIn, bytesOut + early)),
    })
    return
  }
  if (upstream) {
    // Ordered but not carried out: whoever waits for the splice's end (a hijack count) is told now.
    upstream.close()
    onClose?.(0, 0)
  }
  if (!socket.destroyed) await writePlainResponse(socket, response)
}

/**
 * The URL is built from a fixed origin: with the Host header in it, `Host: x/v1.41/containers/web/
 * attach?x=` would replace the path. The Host header itself stays, for the front door to check.
 */
function toRequest(req: IncomingMessage, body: Uint8Array | null, signal: AbortSignal): Request {
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  }
  if (body) {
    // The body was read whole (a chunked one decoded): it goes on with its length.
    headers.delete('transfer-encoding')
    headers.set('content-length', String(body.byteLength))
  }
  const target = req.url?.startsWith('/') ? req.url : '/'
  return new Request(`http://localhost${target}`, {
    method: req.method,
    headers,
    body: body && req.method !== 'GET' && req.method !== 'HEAD' ? body as BodyInit : null,
    signal,
  })
}

function middlewareHeaders(response: Response): [string, string][] {
  const extra: [string, string][] = []
  response.headers.forEach((value, name) => {
    if (!NOT_IN_101.has(name)) extra.push([name, value])
  })
  return extra
}

/** An upgrade the app refused (404, 409, 401...): answer it as plain HTTP/1.1 and close. */
async function writePlainResponse(socket: Socket, response: Response) {
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : new Uint8Array()
  const lines = [
    `HTTP/1.1 ${response.status} ${response.statusText || STATUS_CODES[response.status] || 'Error'}`,
  ]
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') {
      lines.push(`${name}: ${value}`)
    }
  })
  lines.push(`Content-Length: ${body.byteLength}`, 'Connection: close', '', '')
  socket.write(lines.join('\r\n'))
  socket.end(body)
}
