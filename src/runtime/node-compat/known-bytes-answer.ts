import type { ServerResponse } from 'node:http'
import { knownBytes, lightweightResponses } from '../known-bytes.ts'
import { alreadySentMark } from './already-sent.ts'

/**
 * Writes an answer of known bytes (runtime/known-bytes.ts) straight to node:http: the head and the
 * bytes as they are, with their length, in one write. Returns the Response that tells
 * @hono/node-server the answer is out, or undefined to let it answer as usual.
 *
 * On Bun and Deno (the runtime's own Response class) @hono/node-server reads such a body back
 * through the Response's web stream (a reader, a copy into the socket's buffer, a wait for the
 * stream's end) before it writes: this skips that. With @hono/node-server's lightweight Response
 * (Node) the bytes take its buffered path already: nothing is done.
 */
export function answerKnownBytes(response: Response, outgoing: ServerResponse): Response | undefined {
  const bytes = knownBytes(response)
  if (!bytes || lightweightResponses() || outgoing.headersSent || outgoing.writableEnded) return undefined
  const head: Record<string, string> = {}
  let plain = true
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || name === 'transfer-encoding') plain = false
    head[name] = value
  })
  if (!plain) return undefined
  head['content-length'] = String(bytes.byteLength)
  outgoing.writeHead(response.status, head)
  outgoing.end(bytes)
  return alreadySentMark()
}
