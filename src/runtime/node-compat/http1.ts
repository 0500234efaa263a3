/** Just enough HTTP/1.1 to send a request head on a raw connection and read the answer's head. */

const CRLF2 = new Uint8Array([13, 10, 13, 10])
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export interface ResponseHead {
  readonly status: number
  readonly statusText: string
  readonly headers: Headers
  /** The head exactly as received, blank line included. */
  readonly raw: Uint8Array
}

export function encodeRequestHead(method: string, path: string, headers: Headers): Uint8Array {
  const lines = [`${method} ${path} HTTP/1.1`]
  headers.forEach((value, name) => lines.push(`${name}: ${value}`))
  return encoder.encode(lines.join('\r\n') + '\r\n\r\n')
}

/** Finds the end of the head in `bytes`: the index just past the blank line, or -1. */
export function headEnd(bytes: Uint8Array): number {
  outer: for (let i = 0; i + 4 <= bytes.length; i++) {
    for (let j = 0; j < 4; j++) if (bytes[i + j] !== CRLF2[j]) continue outer
    return i + 4
  }
  return -1
}

export function parseResponseHead(raw: Uint8Array): ResponseHead {
  const text = decoder.decode(raw)
  const [statusLine = '', ...lines] = text.split('\r\n')
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
  if (!match) throw new Error(`malformed response from host: ${JSON.stringify(statusLine.slice(0, 80))}`)
  const headers = new Headers()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  return { status: Number(match[1]), statusText: match[2] ?? '', headers, raw }
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** `head` (a complete head, blank line included) with `extra` header lines added before the blank line. */
export function withHeaders(head: Uint8Array, extra: readonly [string, string][]): Uint8Array {
  if (!extra.length) return head
  const lines = extra.map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return concatBytes([head.subarray(0, head.byteLength - 2), encoder.encode(lines + '\r\n')])
}
