import type { ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { knownBytes, lightweightResponses } from '../known-bytes.ts'
import { alreadySentMark } from './already-sent.ts'

/**
 * A larger answer goes out in slices of this size, each once the socket took the one before. Bun's
 * node:http given 41 MB in one `end` (a 500-host list) spent 80-185 ms of CPU on it and answered in
 * 0.1 to 1.3 s; in slices, 10-17 ms and 15-65 ms (bench/results/profile.md, "500 hosts on Bun").
 * Deno is the same either way; Node never comes here (its own Response path writes the bytes).
 */
export const SLICE_BYTES = 1024 * 1024

/**
 * Writes an answer of known bytes (runtime/known-bytes.ts) straight to node:http: the head and the
 * bytes as they are, with their length, in one write, or in slices as the client takes them when
 * larger than SLICE_BYTES. Returns the Response that tells @hono/node-server the answer is out, or
 * undefined to let it answer as usual.
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
  if (bytes.byteLength <= SLICE_BYTES) outgoing.end(bytes)
  else writeInSlices(bytes, outgoing)
  return alreadySentMark()
}

/**
 * The bytes in slices, each written once the socket drained the one before (pipeline's pacing);
 * a client that goes stops it. Its error then is the client's going, which node:http has seen too.
 */
function writeInSlices(bytes: Uint8Array, outgoing: ServerResponse): void {
  pipeline(Readable.from(slicesOf(bytes)), outgoing, () => {})
}

function* slicesOf(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += SLICE_BYTES) yield bytes.subarray(at, at + SLICE_BYTES)
}
