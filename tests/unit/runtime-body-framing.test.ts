import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type BodyFraming,
  ChunkedFraming,
  CloseFraming,
  framingOf,
  LengthFraming,
} from '../../src/runtime/body-framing.ts'

// Golden inputs for the scanner that finds where an engine's body ends in the raw bytes flocker
// forwards as they are (runtime/body-framing.ts), fed whole and split at every byte.

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

interface Scan {
  /** The body's data, decoded. */
  readonly data: string
  /** Where the body ended, counted over all the bytes fed; -1 if it did not. */
  readonly end: number
}

/** Feeds `input` in `pieces` (cut at these offsets) and collects what the framing found. */
function scan(framing: BodyFraming, input: string, cuts: readonly number[] = []): Scan {
  const all = bytes(input)
  const bounds = [0, ...cuts, all.byteLength]
  let data = ''
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = all.subarray(bounds[i], bounds[i + 1])
    const end = framing.feed(piece, (chunk) => (data += text(chunk)))
    if (end >= 0) return { data, end: bounds[i]! + end }
  }
  return { data, end: -1 }
}

/** The same scan cut at every single offset, and byte by byte: each must agree with the whole. */
function scanEverySplit(input: string): Scan {
  const whole = scan(new ChunkedFraming(), input)
  for (let at = 1; at < input.length; at++) {
    assert.deepEqual(scan(new ChunkedFraming(), input, [at]), whole, `split at ${at}`)
  }
  const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1)
  assert.deepEqual(scan(new ChunkedFraming(), input, everyByte), whole, 'byte by byte')
  return whole
}

test('chunked: data decoded and the end found, however the bytes are split', () => {
  const body = '5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n'
  assert.deepEqual(scanEverySplit(body), { data: 'hello, world', end: body.length })
})

test('chunked: bytes after the last chunk are not the body', () => {
  const body = '3\r\nabc\r\n0\r\n\r\n'
  assert.deepEqual(scanEverySplit(body + 'HTTP/1.1 200 OK'), { data: 'abc', end: body.length })
})

test('chunked: hex sizes in either case, leading zeros, extensions and whitespace before them', () => {
  const body =
    'A\r\n0123456789\r\n0a;name=value\r\n0123456789\r\n00B ; x="y z"\r\nabcdefghijk\r\n0;last\r\n\r\n'
  const found = scanEverySplit(body)
  assert.equal(found.data, '0123456789'.repeat(2) + 'abcdefghijk')
  assert.equal(found.end, body.length)
})

test('chunked: trailers end with the blank line after them', () => {
  const body = '2\r\nhi\r\n0\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n'
  assert.deepEqual(scanEverySplit(body), { data: 'hi', end: body.length })
})

test('chunked: counts decoded bytes, and is done only after the final CRLF', () => {
  const framing = new ChunkedFraming()
  assert.equal(framing.feed(bytes('4\r\nabcd\r\n0\r\n\r')), -1)
  assert.equal(framing.dataBytes, 4)
  assert.equal(framing.done, false)
  assert.equal(framing.completeAtEof(), false)
  assert.equal(framing.feed(bytes('\n')), 1)
  assert.equal(framing.done, true)
  assert.equal(framing.completeAtEof(), true)
})

test('chunked: a body cut anywhere before its end is not complete', () => {
  const body = '5\r\nhello\r\n0\r\n\r\n'
  for (let at = 0; at < body.length; at++) {
    const framing = new ChunkedFraming()
    assert.equal(framing.feed(bytes(body.slice(0, at))), -1, `cut at ${at}`)
    assert.equal(framing.completeAtEof(), false, `cut at ${at}`)
  }
})

test('chunked: broken framing is an error', () => {
  const broken = {
    'no digits': '\r\nhello\r\n0\r\n\r\n',
    'not hex': '5g\r\nhello\r\n0\r\n\r\n',
    'a sign': '-5\r\nhello\r\n0\r\n\r\n',
    'a digit after whitespace': '5 5\r\nhello\r\n0\r\n\r\n',
    'a bare LF after the size': '5\nhello\r\n0\r\n\r\n',
    'no CRLF after the data': '5\r\nhelloX\r\n0\r\n\r\n',
    'CR without LF after the data': '5\r\nhello\rX0\r\n\r\n',
    'a size past 2^52': 'fffffffffffffff\r\n',
    'a bare LF in an extension': '5;x\nhello\r\n0\r\n\r\n',
    'a bare LF in the trailers': '0\r\nX: 1\n\r\n',
    'a bare LF as the last line': '0\r\n\n',
  }
  for (const [what, body] of Object.entries(broken)) {
    assert.throws(() => new ChunkedFraming().feed(bytes(body)), /chunked body is broken/, what)
  }
})

test('chunked: a large chunk passes as slices of the bytes fed, not copies', () => {
  const framing = new ChunkedFraming()
  const data = new Uint8Array(100_000).fill(7)
  const input = new Uint8Array([...bytes('186a0\r\n'), ...data, ...bytes('\r\n0\r\n\r\n')])
  const slices: Uint8Array[] = []
  assert.equal(framing.feed(input, (slice) => slices.push(slice)), input.byteLength)
  assert.equal(slices.length, 1)
  assert.equal(slices[0]!.buffer, input.buffer)
  assert.equal(framing.dataBytes, 100_000)
})

test('length: ends after Content-Length bytes; short is cut, the rest is not the body', () => {
  assert.deepEqual(scan(new LengthFraming(5), 'hello, world', [2]), { data: 'hello', end: 5 })
  const short = new LengthFraming(5)
  assert.equal(short.feed(bytes('hel')), -1)
  assert.equal(short.completeAtEof(), false)
  assert.equal(new LengthFraming(0).completeAtEof(), true)
})

test('close: every EOF ends the body whole', () => {
  const framing = new CloseFraming()
  assert.deepEqual(scan(framing, 'abc', [1]), { data: 'abc', end: -1 })
  assert.equal(framing.completeAtEof(), true)
  assert.equal(framing.dataBytes, 3)
})

test('framingOf: chunked, length or close, as RFC 9112 6.3 orders them', () => {
  const head = (entries: Record<string, string>) => new Headers(entries)
  assert.deepEqual(framingOf(200, head({ 'transfer-encoding': 'chunked' })), { kind: 'chunked' })
  assert.deepEqual(framingOf(200, head({ 'transfer-encoding': 'gzip, Chunked' })), { kind: 'chunked' })
  // Transfer-Encoding wins over Content-Length; a coding that does not end in chunked ends at close.
  assert.deepEqual(
    framingOf(200, head({ 'transfer-encoding': 'chunked', 'content-length': '3' })),
    { kind: 'chunked' },
  )
  assert.deepEqual(framingOf(200, head({ 'transfer-encoding': 'gzip' })), { kind: 'close' })
  assert.deepEqual(framingOf(200, head({ 'content-length': '42' })), { kind: 'length', bytes: 42 })
  assert.deepEqual(framingOf(200, head({})), { kind: 'close' })
  assert.deepEqual(framingOf(204, head({})), { kind: 'length', bytes: 0 })
  assert.deepEqual(framingOf(304, head({ 'content-length': '42' })), { kind: 'length', bytes: 0 })
  assert.throws(() => framingOf(200, head({ 'content-length': '4x' })), /bad Content-Length/)
  assert.throws(() => framingOf(200, head({ 'content-length': '1, 2' })), /bad Content-Length/)
})
