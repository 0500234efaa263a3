/**
 * Docker streams JSON messages one after another (pull progress, build output, events), mostly one
 * per line but not always: this splits on complete top-level JSON values, whatever the whitespace.
 */
export async function* jsonMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      let end: number
      while ((end = completeValueEnd(buffer)) > 0) {
        const text = buffer.slice(0, end).trim()
        buffer = buffer.slice(end)
        if (text) yield JSON.parse(text)
      }
      if (done) {
        if (buffer.trim()) yield JSON.parse(buffer)
        return
      }
    }
  } finally {
    reader.releaseLock()
  }
}

/** Index just past the first complete JSON object/array in `text`, or -1. */
function completeValueEnd(text: string): number {
  let depth = 0
  let inString = false
  let started = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
      continue
    }
    if (ch === '"') inString = true
    else if (ch === '{' || ch === '[') {
      depth++
      started = true
    } else if (ch === '}' || ch === ']') {
      depth--
      if (started && depth === 0) return i + 1
    }
  }
  return -1
}

const encoder = new TextEncoder()

export function encodeJsonLine(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value) + '\n')
}
