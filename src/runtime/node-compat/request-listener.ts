import { getRequestListener } from '@hono/node-server'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FetchHandler, NodeRequestListener } from '../types.ts'
import { clientOf } from './client-connection.ts'
import { answerUpgrade } from './hijack.ts'
import { answerOnNodeHttp } from './answer.ts'
import type { ServerQuirks } from './server.ts'

/**
 * Serves `handler` from inside a user's `http.createServer((req, res) => ...)`. Plain requests go
 * through @hono/node-server; Upgrade requests (attach, exec start) are taken over from the request
 * handler: the 101 head is written to `req.socket` and the socket spliced to the engine.
 *
 * Node only: this works when the server has no 'upgrade' listener (else node:http sends Upgrade
 * requests there) and keeps the client's half-close only with `server.httpAllowHalfOpen = true`.
 * Bun's and Deno's node:http do not let a request handler take the socket over (their files say so).
 */
export function nodeRequestListener(handler: FetchHandler, quirks: ServerQuirks): NodeRequestListener {
  const plain = getRequestListener(
    async (request, env) => {
      const response = await handler(request, { client: clientOf(env.incoming as IncomingMessage) })
      return answerOnNodeHttp(response, env.outgoing as ServerResponse)
    },
    { overrideGlobalObjects: false },
  )
  return async (incoming, outgoing) => {
    const req = incoming as IncomingMessage
    const res = outgoing as ServerResponse
    if (!req.headers.upgrade) return plain(req, res)
    if (!quirks.requestHandlersCanHijack) return refuseUpgrade(res)
    const socket = req.socket
    try {
      const body = await readBody(req)
      await answerUpgrade(handler, req, socket, body, [])
    } catch {
      socket.destroy()
    }
  }
}

/**
 * The request's body, read through node:http's parser (which still owns the socket until the body
 * is in). null when the client declared none.
 */
function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  const declared = req.headers['content-length'] !== undefined ||
    req.headers['transfer-encoding'] !== undefined
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    req.on('data', (chunk: Uint8Array) => chunks.push(chunk))
    req.on('error', reject)
    req.once('end', () => resolve(declared ? Buffer.concat(chunks) : null))
  })
}

function refuseUpgrade(res: ServerResponse): Promise<void> {
  const message = 'flocker: attach and exec through handle(req, res) need Node; on Bun and Deno use ' +
    'dockers.listen(port) (or serve() from flocker), which hijacks on every runtime'
  res.writeHead(501, { 'content-type': 'application/json', connection: 'close' })
  res.end(JSON.stringify({ message }))
  return Promise.resolve()
}
