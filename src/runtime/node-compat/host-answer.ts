import type { OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { AbortSignalLike } from '../types.ts'

/** Headers that describe one hop, never forwarded (RFC 9110 7.6.1); node sets its own framing. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
])
/** Statuses whose answers carry no body. */
export const NULL_BODY_STATUS = new Set([101, 204, 205, 304])
/** Answers up to this size, with a Content-Length, are read whole (streams stay streams). */
export const SMALL_BODY = 256 * 1024

export function toNodeHeaders(headers: Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) out[name] = value
  })
  return out
}

export function fromRawHeaders(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, raw[i + 1]!)
  }
  return headers
}

/** An answer's headers without the ones that describe the hop it came on. */
export function endToEnd(headers: Headers): Headers {
  const out = new Headers()
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) out.append(name, value)
  })
  return out
}

/**
 * Why a request was cut: flocker's own deadlines (a health check that found the host frozen, a
 * timeout) abort with an Error that says so; a client that left aborts with an AbortError.
 */
export function abortReason(signal: AbortSignalLike): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name !== 'AbortError') return reason
  return new Error('request aborted by the client')
}

/**
 * A small answer's body (or one the caller reads whole) in one buffer. A body cut before its end is an
 * error, never a short answer: the stream's own error says so, or `isWhole`, asked at 'close' (a
 * node:http client's IncomingMessage does not error on a cut body on every runtime: its `complete` tells).
 */
export function readWholeBody(body: Readable, isWhole: () => boolean): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    body.on('data', (chunk: Buffer) => chunks.push(chunk))
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    body.on('error', reject)
    body.once('close', () => {
      if (!isWhole()) reject(new Error('upstream connection closed before the end of the body'))
    })
  })
}
