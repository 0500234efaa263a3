import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { type BodyFraming, bodyFraming, type Framing, type OnData } from '../body-framing.ts'
import { type BodyCounter, offerPassThrough, Origin } from '../pass-through.ts'
import { GatheredReads, SMALL_READ } from './gathered-reads.ts'
import { readableToWeb } from './streams.ts'

/** Where the bytes read off the engine go: a web reader's decoded stream, or the client's connection. */
interface Sink {
  /** Each piece of body data, decoded (absent: the sink takes the framed bytes). */
  readonly data?: OnData
  /** The bytes of one read, up to the body's end; false: stop reading until the sink asks again. */
  read(framed: Uint8Array): boolean
  end(): void
  fail(error: Error): void
}

/**
 * A host's answer body on a connection of its own, still framed as the engine framed it (a download:
 * logs, export, `cp`, save). Read through `decoded` (a web reader) or written by `writeDecoded` (a
 * server that cannot write raw) it gives the body's bytes; `writeRaw` passes the engine's bytes, framing and all, into the client's
 * answer. That skips node:http's parse and its re-encoding of every chunk, which on a real engine's
 * logs (a chunk per line) is most of a proxy's CPU. The connection closes at the body's end.
 */
export class RawDownload {
  readonly decoded: Readable
  readonly #framing: BodyFraming
  #sink: Sink | undefined
  #failure: Error | undefined
  #over = false
  /**
   * Paces the engine's reads once the body flows: a full sink pauses them; a real engine's logs
   * (a chunk per line, each its own segment) gather in the kernel after a small read, so one read
   * and one write carry many lines, and a line of `logs -f` waits at most GATHER_MS.
   */
  #reads: GatheredReads | undefined

  constructor(
    readonly framing: Framing,
    private readonly socket: Socket,
    /** Body bytes read with the head. */
    private readonly pending: Uint8Array[],
    /** The engine had closed its side already. */
    private readonly ended: boolean,
    /** Told once when the body ended, failed or was abandoned. */
    private readonly onOver: () => void,
    /** The runtime's ServerResponse writes bytes as given (ServerQuirks.rawDownloads; not Bun's). */
    private readonly rawWritable: boolean,
  ) {
    this.#framing = bodyFraming(framing)
    // `on`: a second 'error' (Deno emits some twice) with no listener would kill the process.
    socket.on('error', (error) => this.#fail(error))
    socket.once('close', () => this.#fail(new Error('upstream connection closed before the end of the body')))
    this.decoded = new Readable({
      read: () => this.#sink ? this.#drained() : this.#flow(this.#decodedSink()),
      destroy: (error, callback) => {
        this.#abandon()
        callback(error)
      },
    })
  }

  /**
   * Whether `res` can take the engine's framing as it is (a server that writes bytes as given, HTTP/1.1,
   * a body with an end of its own); else the adapter writes it decoded (writeDecoded).
   */
  canWriteRawTo(res: ServerResponse): boolean {
    const request = (res as { req?: { httpVersion?: string; method?: string } }).req
    return this.rawWritable && this.framing.kind !== 'close' && request?.httpVersion === '1.1' &&
      request.method !== 'HEAD'
  }

  /**
   * Writes the answer into `res` with the engine's framing: the head with `head` (plus the framing's
   * own header), then the engine's bytes as they come, with backpressure. A cut engine cuts the
   * client's connection (never a short body that looks whole); a client that leaves closes the engine's.
   */
  writeRaw(res: ServerResponse, status: number, head: OutgoingHttpHeaders, counted?: BodyCounter): void {
    if (res.destroyed) {
      // The client left before the answer: its 'close' has passed, nobody would free the engine.
      this.#abandon()
      return counted?.(0, true)
    }
    delete head['content-length']
    delete head['transfer-encoding']
    if (this.framing.kind === 'chunked') head['transfer-encoding'] = 'chunked'
    else if (this.framing.kind === 'length') head['content-length'] = String(this.framing.bytes)
    res.writeHead(status, head)
    // node:http would frame every write as a chunk of its own: these bytes carry their framing.
    res.chunkedEncoding = false
    // The head goes at once, before any body byte (docker run waits for /wait's head).
    res.flushHeaders()
    this.#pour(res, counted, { read: (framed) => framed.byteLength === 0 || res.write(framed) })
  }

  /**
   * Writes the body decoded into `res`, whose head is out (a server that frames every write itself:
   * Bun's; an HTTP/1.0 client). No stream in between: a large piece of data goes as it was read
   * (no copy: a fast engine's chunks are 256 KiB), the small ones of a read in one write (a real
   * engine's logs: a chunk per line, and each write is a chunk of the answer).
   */
  writeDecoded(res: ServerResponse, counted?: BodyCounter): void {
    this.#pour(res, counted, gatheredWrites((bytes) => res.write(bytes)))
  }

  /** Pours the body into `res` with `writes`: backpressure, a cut either side cuts the other. */
  #pour(res: ServerResponse, counted: BodyCounter | undefined, writes: Pick<Sink, 'data' | 'read'>): void {
    let finished = false
    const finish = (aborted: boolean) => {
      finished = true
      counted?.(this.#framing.dataBytes, aborted)
    }
    res.on('drain', () => this.#drained())
    res.once('close', () => {
      if (finished) return
      this.#abandon()
      finish(true)
    })
    this.#flow({
      ...writes,
      end: () => {
        finish(false)
        res.end()
      },
      fail: (error) => {
        finish(true)
        res.destroy(error)
      },
    })
  }

  /** The body as a web stream the serving adapter may take whole instead (runtime/pass-through.ts). */
  webBody(): ReadableStream<Uint8Array> {
    const origin = new Origin(this)
    const body = readableToWeb(this.decoded, () => origin.read())
    offerPassThrough(body, origin)
    return body
  }

  /** Nobody will read the body (an answer without one): the connection closes now. */
  abandon(): void {
    this.#abandon()
  }

  #decodedSink(): Sink {
    return {
      // One push per read of small pieces: a real engine's logs put dozens of lines (chunks) in each.
      ...gatheredWrites((bytes) => this.decoded.push(bytes)),
      end: () => this.decoded.push(null),
      fail: (error) => this.decoded.destroy(error),
    }
  }

  #flow(sink: Sink): void {
    this.#sink = sink
    if (this.#failure) return sink.fail(this.#failure)
    if (this.#over) return
    let more = true
    for (const chunk of this.pending.splice(0)) {
      more = this.#read(chunk)
      if (this.#over) return
    }
    if (this.#framing.done) return this.#end()
    if (this.ended) return this.#endOfConnection()
    const reads = this.#reads = new GatheredReads(this.socket)
    this.socket.on('data', (chunk: Buffer) => {
      const more = this.#read(chunk)
      if (!this.#over) reads.passedOn(chunk.byteLength, more)
    })
    this.socket.once('end', () => this.#endOfConnection())
    if (more) this.socket.resume()
    else reads.passedOn(0, false)
  }

  /** The sink took what it had: read again (unless gathering). */
  #drained(): void {
    this.#reads?.drained()
  }

  /** Passes one read on; false when the sink is full. */
  #read(chunk: Uint8Array): boolean {
    if (this.#over) return true
    const sink = this.#sink!
    let end: number
    try {
      end = this.#framing.feed(chunk, sink.data)
    } catch (error) {
      this.#fail(error as Error)
      return true
    }
    const more = sink.read(end < 0 ? chunk : chunk.subarray(0, end))
    if (end >= 0) this.#end()
    return more
  }

  #endOfConnection(): void {
    if (this.#framing.completeAtEof()) this.#end()
    else this.#fail(new Error('upstream connection closed before the end of the body'))
  }

  #end(): void {
    if (this.#over) return
    this.#over = true
    this.socket.destroy()
    this.onOver()
    this.#sink!.end()
  }

  #fail(error: Error): void {
    if (this.#over) return
    this.#over = true
    this.#failure = error
    this.socket.destroy()
    this.onOver()
    this.#sink?.fail(error)
  }

  #abandon(): void {
    if (this.#over) return
    this.#over = true
    this.socket.destroy()
    this.onOver()
  }
}

/**
 * A sink's `data` and `read` for decoded bytes: each read's pieces written by `write` when the read
 * ends (writeGathered), so one read of many small pieces is one write.
 */
function gatheredWrites(write: (bytes: Uint8Array) => boolean): Pick<Sink, 'data' | 'read'> {
  const pieces: Uint8Array[] = []
  return { data: (piece) => pieces.push(piece), read: () => writeGathered(pieces.splice(0), write) }
}

/**
 * Writes `pieces` in order, each large one as it is and each run of small ones gathered into one;
 * false when a write was refused (the sink is full).
 */
function writeGathered(pieces: Uint8Array[], write: (bytes: Uint8Array) => boolean): boolean {
  let accepted = true
  let small: Uint8Array[] = []
  const writeSmall = () => {
    if (small.length > 0) accepted = write(small.length === 1 ? small[0]! : Buffer.concat(small)) && accepted
    small = []
  }
  for (const piece of pieces) {
    if (piece.byteLength === 0) continue
    if (piece.byteLength < SMALL_READ) small.push(piece)
    else {
      writeSmall()
      accepted = write(piece) && accepted
    }
  }
  writeSmall()
  return accepted
}
