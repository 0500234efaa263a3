/**
 * Where an HTTP/1.1 answer's body ends in the bytes of its connection (RFC 9112 6.3, 7.1), read as
 * they arrive: lets a proxy forward the body exactly as the engine framed it, yet know when it is
 * whole and tell a complete body from a cut one. Pure: no I/O, no runtime.
 *
 * Not a library: the one npm candidate (http-parser-js) is a whole HTTP parser, and none is installed.
 */

/** Told each piece of body data as it is found (subarrays of the bytes fed, never copied). */
export type OnData = (data: Uint8Array) => void

export interface BodyFraming {
  /** Body bytes found so far (decoded: without the chunked framing). */
  readonly dataBytes: number
  /** The body ended (a connection's EOF ends a close-delimited one: see `complete`). */
  readonly done: boolean
  /**
   * Reads the next bytes of the body; returns the index in `bytes` just past the body's end when it
   * ends there (bytes after it are not the body's), else -1. Throws on broken framing.
   */
  feed(bytes: Uint8Array, onData?: OnData): number
  /** Whether the connection ending now leaves the body whole. */
  completeAtEof(): boolean
}

/** How an answer's body is framed: by chunks, by a Content-Length, or by the connection's close. */
export type Framing =
  | { readonly kind: 'chunked' }
  | { readonly kind: 'length'; readonly bytes: number }
  | { readonly kind: 'close' }

/** The framing of an answer to a GET from its head (RFC 9112 6.3); throws on a head no proxy may pass. */
export function framingOf(status: number, headers: Headers): Framing {
  if (status < 200 || status === 204 || status === 304) return { kind: 'length', bytes: 0 }
  const coding = headers.get('transfer-encoding')
  if (coding !== null) {
    const last = coding.split(',').at(-1)!.trim().toLowerCase()
    return last === 'chunked' ? { kind: 'chunked' } : { kind: 'close' }
  }
  const length = headers.get('content-length')
  if (length === null) return { kind: 'close' }
  if (!/^\d{1,15}$/.test(length.trim())) throw new Error(`bad Content-Length ${JSON.stringify(length)}`)
  return { kind: 'length', bytes: Number(length) }
}

export function bodyFraming(framing: Framing): BodyFraming {
  if (framing.kind === 'chunked') return new ChunkedFraming()
  if (framing.kind === 'length') return new LengthFraming(framing.bytes)
  return new CloseFraming()
}

/** A body of `bytes` bytes. */
export class LengthFraming implements BodyFraming {
  dataBytes = 0
  constructor(readonly bytes: number) {}

  get done(): boolean {
    return this.dataBytes === this.bytes
  }

  feed(bytes: Uint8Array, onData?: OnData): number {
    const take = Math.min(bytes.byteLength, this.bytes - this.dataBytes)
    if (take > 0) onData?.(take === bytes.byteLength ? bytes : bytes.subarray(0, take))
    this.dataBytes += take
    return this.done ? take : -1
  }

  completeAtEof(): boolean {
    return this.done
  }
}

/** A body that ends when the connection does: every EOF is its end. */
export class CloseFraming implements BodyFraming {
  dataBytes = 0
  readonly done = false

  feed(bytes: Uint8Array, onData?: OnData): number {
    if (bytes.byteLength > 0) onData?.(bytes)
    this.dataBytes += bytes.byteLength
    return -1
  }

  completeAtEof(): boolean {
    return true
  }
}

const CR = 13
const LF = 10
/** A chunk size past this (2^53) cannot be counted exactly: no engine sends one. */
const MAX_SIZE_DIGITS = 13

/** Where the reader is in the chunked coding. */
const Step = {
  Size: 0,
  Extension: 1,
  SizeLf: 2,
  Data: 3,
  DataCr: 4,
  DataLf: 5,
  TrailerStart: 6,
  TrailerLine: 7,
  TrailerLf: 8,
  LastLf: 9,
  Done: 10,
} as const
type Step = (typeof Step)[keyof typeof Step]

/**
 * The chunked coding: `size[;ext]CRLF data CRLF` ..., `0[;ext]CRLF`, trailer lines, CRLF. Strict as
 * node's own parser: CRLF only (a bare LF is an error), hex sizes, at least one digit.
 */
export class ChunkedFraming implements BodyFraming {
  dataBytes = 0
  #step: Step = Step.Size
  #size = 0
  #digits = 0
  /** Data bytes left in the current chunk. */
  #left = 0

  get done(): boolean {
    return this.#step === Step.Done
  }

  completeAtEof(): boolean {
    return this.done
  }

  feed(bytes: Uint8Array, onData?: OnData): number {
    if (this.done) return 0
    let at = 0
    const length = bytes.byteLength
    while (at < length) {
      if (this.#step === Step.Data) {
        const take = Math.min(this.#left, length - at)
        onData?.(bytes.subarray(at, at + take))
        this.dataBytes += take
        this.#left -= take
        at += take
        if (this.#left === 0) this.#step = Step.DataCr
        continue
      }
      this.#byte(bytes[at++]!)
      if (this.done) return at
    }
    return -1
  }

  /** One byte of framing (anything but chunk data). */
  #byte(byte: number): void {
    switch (this.#step) {
      case Step.Size:
        return this.#sizeByte(byte)
      case Step.Extension:
        if (byte === CR) this.#step = Step.SizeLf
        else if (byte === LF) throw framingError('a bare LF ends a chunk size line')
        return
      case Step.SizeLf:
        this.#expect(byte, LF, 'chunk size line')
        return this.#chunkStarts()
      case Step.DataCr:
        this.#expect(byte, CR, 'chunk data')
        this.#step = Step.DataLf
        return
      case Step.DataLf:
        this.#expect(byte, LF, 'chunk data')
        this.#step = Step.Size
        return
      case Step.TrailerStart:
        this.#step = byte === CR ? Step.LastLf : Step.TrailerLine
        if (byte === LF) throw framingError('a bare LF in the trailer section')
        return
      case Step.TrailerLine:
        if (byte === CR) this.#step = Step.TrailerLf
        else if (byte === LF) throw framingError('a bare LF ends a trailer line')
        return
      case Step.TrailerLf:
        this.#expect(byte, LF, 'trailer line')
        this.#step = Step.TrailerStart
        return
      case Step.LastLf:
        this.#expect(byte, LF, 'last chunk')
        this.#step = Step.Done
        return
    }
  }

  #sizeByte(byte: number): void {
    const digit = hexValue(byte)
    if (digit >= 0 && this.#digits >= 0) {
      if (++this.#digits > MAX_SIZE_DIGITS) throw framingError('a chunk size too large')
      this.#size = this.#size * 16 + digit
      return
    }
    if (this.#digits === 0) throw framingError('a chunk size without digits')
    // After the digits: optional whitespace, an extension (ignored) or the line's end.
    if (byte === CR) this.#step = Step.SizeLf
    else if (byte === 0x3b) this.#step = Step.Extension
    else if (byte === 0x20 || byte === 0x09) this.#digits = -1
    else throw framingError(`a bad byte 0x${byte.toString(16)} in a chunk size`)
  }

  #chunkStarts(): void {
    this.#left = this.#size
    this.#step = this.#size === 0 ? Step.TrailerStart : Step.Data
    this.#size = 0
    this.#digits = 0
  }

  #expect(byte: number, wanted: number, where: string): void {
    if (byte !== wanted) throw framingError(`expected ${wanted === CR ? 'CR' : 'LF'} after the ${where}`)
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

function framingError(what: string): Error {
  return new Error(`the engine's chunked body is broken: ${what}`)
}
