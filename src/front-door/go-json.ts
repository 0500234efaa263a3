import { badRequest } from '../docker/errors.ts'
import { MAP_FIELDS, REQUEST_FIELDS } from './request-fields.ts'

/**
 * Reads a JSON body the way dockerd's Go decoder will, so that what flocker judges is what the
 * engine does. Go matches struct keys case-insensitively (with Unicode folding: `K` U+212A is `k`,
 * `ſ` U+017F is `s`) and keeps the last of duplicate keys, where JSON.parse is case-sensitive; so
 * `{"Privileged":false,"PRIVILEGED":true}` or `{"privileged":true}` would pass a check on
 * `Privileged`. Here a duplicate or case-variant key is refused (400), and keys are rewritten to
 * their canonical spelling; the body sent on is this value, re-serialised.
 */
export function parseGoJson(text: string): unknown {
  const parser = new Parser(text)
  parser.skipSpace()
  const value = parser.value(0, null)
  parser.skipSpace()
  if (!parser.atEnd()) parser.fail('unexpected data after the JSON value')
  return value
}

/** Go's key folding for struct fields: ASCII case, plus the two non-ASCII letters that fold into it. */
export function foldKey(key: string): string {
  return key.replace(/\u212a/g, 'k').replace(/\u017f/g, 's').toLowerCase()
}

const CANONICAL = new Map(REQUEST_FIELDS.map((name) => [foldKey(name), name]))
const MAP_FOLDED = new Set([...MAP_FIELDS].map(foldKey))
/** Go's decoder allows 10000; nothing docker sends comes near 100. */
const MAX_DEPTH = 200

class Parser {
  #at = 0
  constructor(readonly text: string) {}

  atEnd() {
    return this.#at >= this.text.length
  }

  fail(reason: string): never {
    throw badRequest(`invalid JSON: ${reason} at offset ${this.#at}`)
  }

  skipSpace() {
    while (this.#at < this.text.length && ' \t\n\r'.includes(this.text[this.#at]!)) this.#at++
  }

  /** A value; `parentKey` (folded) tells whether an object here is a map (free keys) or a struct. */
  value(depth: number, parentKey: string | null): unknown {
    if (depth > MAX_DEPTH) this.fail('nested too deeply')
    const c = this.text[this.#at]
    if (c === '{') return this.object(depth, parentKey !== null && MAP_FOLDED.has(parentKey))
    if (c === '[') return this.array(depth, parentKey)
    if (c === '"') return this.string()
    return this.literal()
  }

  object(depth: number, isMap: boolean): Record<string, unknown> {
    this.#at++
    const out: Record<string, unknown> = {}
    const seen = new Set<string>()
    this.skipSpace()
    if (this.text[this.#at] === '}') {
      this.#at++
      return out
    }
    for (;;) {
      this.skipSpace()
      if (this.text[this.#at] !== '"') this.fail('expected a key')
      const raw = this.string()
      const folded = foldKey(raw)
      const identity = isMap ? raw : folded
      if (seen.has(identity)) {
        throw badRequest(
          isMap
            ? `invalid JSON: duplicate key ${JSON.stringify(raw)}`
            : `invalid JSON: duplicate key ${JSON.stringify(raw)} (keys are matched without regard to case)`,
        )
      }
      seen.add(identity)
      const key = isMap ? raw : CANONICAL.get(folded) ?? raw
      this.skipSpace()
      if (this.text[this.#at] !== ':') this.fail('expected ":"')
      this.#at++
      this.skipSpace()
      const value = this.value(depth + 1, isMap ? null : folded)
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
      this.skipSpace()
      const next = this.text[this.#at++]
      if (next === '}') return out
      if (next !== ',') this.fail('expected "," or "}"')
    }
  }

  array(depth: number, parentKey: string | null): unknown[] {
    this.#at++
    const out: unknown[] = []
    this.skipSpace()
    if (this.text[this.#at] === ']') {
      this.#at++
      return out
    }
    for (;;) {
      this.skipSpace()
      // Elements of a list of structs (Mounts, Devices) are structs; of a map-valued key, maps.
      out.push(this.value(depth + 1, parentKey))
      this.skipSpace()
      const next = this.text[this.#at++]
      if (next === ']') return out
      if (next !== ',') this.fail('expected "," or "]"')
    }
  }

  string(): string {
    const start = this.#at
    this.#at++
    for (;;) {
      const c = this.text[this.#at]
      if (c === undefined) this.fail('unterminated string')
      if (c === '\\') this.#at += 2
      else {
        this.#at++
        if (c === '"') break
      }
    }
    try {
      return JSON.parse(this.text.slice(start, this.#at)) as string
    } catch {
      this.#at = start
      return this.fail('invalid string')
    }
  }

  literal(): unknown {
    const match = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.text.slice(this.#at, this.#at + 400),
    )
    if (!match) return this.fail('unexpected character')
    this.#at += match[0].length
    return JSON.parse(match[0])
  }
}
