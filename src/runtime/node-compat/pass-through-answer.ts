import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { pipeline, type Readable, type Writable } from 'node:stream'
import {
  type BodyCounter,
  offerPassThrough,
  Origin,
  type Splitter,
  takePassThrough,
} from '../pass-through.ts'
import { alreadySentMark } from './already-sent.ts'
import { RawDownload } from './raw-download.ts'
import { readableToWeb } from './streams.ts'

/** What @hono/node-server writes for a body without a Content-Type. */
const DEFAULT_CONTENT_TYPE = 'text/plain; charset=UTF-8'

/**
 * A node stream (a host's answer, a client's upload) as a web stream that the serving adapter or the
 * host transport may skip (runtime/pass-through.ts).
 */
export function passableBody(source: Readable, split?: Splitter): ReadableStream<Uint8Array> {
  const origin = new Origin(source)
  const body = readableToWeb(source, () => origin.read())
  offerPassThrough(body, origin, split)
  return body
}

/**
 * Pipes a host's untouched answer body straight into the client's ServerResponse (node streams:
 * backpressure, a cut upstream cuts the client's answer, a client that leaves destroys the upstream),
 * a download with the engine's own framing where the client can take it (raw-download.ts), and returns the mark that tells @hono/node-server the answer is out; else returns `response`.
 */
export function answerPassThrough(response: Response, outgoing: ServerResponse): Response {
  if (outgoing.headersSent || outgoing.writableEnded) return response
  const mark = alreadySentMark()
  const taken = takePassThrough(bodyOf(response))
  if (!taken) return response
  const source = taken.source
  if (source instanceof RawDownload && source.canWriteRawTo(outgoing)) {
    source.writeRaw(outgoing, response.status, headersOf(response), taken.counted)
    return mark
  }
  outgoing.writeHead(response.status, headersOf(response))
  // The head goes at once, before any body byte (docker run waits for /wait's head).
  outgoing.flushHeaders()
  if (!(source instanceof RawDownload)) pipeCounted(source as Readable, outgoing, taken.counted)
  // A download's bytes read with its head are decoded as its writes start: broken ones would cut the
  // answer before Bun's server wrote the head (the client saw no answer at all). They wait a turn.
  else setTimeout(() => writeDecodedDownload(source, outgoing, taken.counted), 0)
  return mark
}

/** A client gone during the turn left a destroyed ServerResponse: nobody will read the body. */
function writeDecodedDownload(
  source: RawDownload,
  outgoing: ServerResponse,
  counted: BodyCounter | undefined,
): void {
  if (!outgoing.destroyed) return source.writeDecoded(outgoing, counted)
  source.abandon()
  counted?.(0, true)
}

/**
 * `pipeline(source, target)`, telling `counted` the bytes that passed. With nobody counting, no
 * 'data' listener of its own: a second listener makes Node copy the listener list at every chunk,
 * and a logs stream is tens of thousands of small chunks.
 */
export function pipeCounted(
  source: Readable,
  target: Writable,
  counted: BodyCounter | undefined,
  done: (error: Error | null | undefined) => void = () => {},
): void {
  if (!counted) return void pipeline(source, target, done)
  let bytes = 0
  source.on('data', (chunk: Uint8Array) => (bytes += chunk.byteLength))
  pipeline(source, target, (error) => {
    counted(bytes, error !== undefined && error !== null)
    done(error)
  })
}

/**
 * The body stream without turning @hono/node-server's lightweight Response (Node) into a full one:
 * it keeps `[status, body, headers]` under its own symbol until `.body` is asked for, and its
 * buffered and streamed paths need it kept when the answer is not piped here.
 */
function bodyOf(response: Response): ReadableStream<Uint8Array> | null {
  for (const key of Object.getOwnPropertySymbols(response)) {
    if (key.description !== 'cache') continue
    const cached = (response as unknown as Record<symbol, unknown>)[key]
    if (Array.isArray(cached)) return cached[1] instanceof ReadableStream ? cached[1] : null
  }
  return response.body
}

/** The head @hono/node-server would write: set-cookie as a list, a default Content-Type. */
function headersOf(response: Response): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = {}
  const cookies: string[] = []
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') cookies.push(value)
    else head[name] = value
  })
  if (cookies.length > 0) head['set-cookie'] = cookies
  head['content-type'] ??= DEFAULT_CONTENT_TYPE
  return head
}
