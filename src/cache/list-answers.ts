/**
 * The bytes of cached list answers, built once and given again while nothing they show can have
 * changed: the same rows (every feed at the version the answer was built from) and every Status text
 * as it was worded (status-text.ts statusStableFor). A repeated `docker ps` then costs a lookup,
 * not a rebuild. Bounded in count and bytes; the newest answer is always kept.
 */
import type { CachedRow } from './host-feed.ts'
import { statusStableFor, statusText } from './status-text.ts'

/** A source of rows: a new version whenever its rows change. */
export interface Versioned {
  readonly version: number
}

interface Answer {
  readonly sources: readonly Versioned[]
  readonly versions: readonly number[]
  readonly body: Uint8Array
  /** ms: the answer holds for `from` ≤ now < `until`. */
  readonly from: number
  readonly until: number
}

const MAX_ANSWERS = 16
const MAX_BYTES = 8 * 1024 * 1024
const utf8 = new TextEncoder()

export class ListAnswers {
  #answers = new Map<string, Answer>()
  #bytes = 0

  /** The answer kept under `key`, if built from these sources as they are now and still true at `now`. */
  get(key: string, sources: readonly Versioned[], now: number): Uint8Array | undefined {
    const answer = this.#answers.get(key)
    if (!answer) return undefined
    if (answer.from <= now && now < answer.until && sameSources(answer, sources)) return answer.body
    this.#drop(key, answer)
    return undefined
  }

  /** Keeps `body`, built at `from` from `sources`, until `until`. */
  put(key: string, sources: readonly Versioned[], body: Uint8Array, from: number, until: number): void {
    const old = this.#answers.get(key)
    if (old) this.#drop(key, old)
    const versions = sources.map((source) => source.version)
    this.#answers.set(key, { sources, versions, body, from, until })
    this.#bytes += body.length
    for (const [oldest, answer] of this.#answers) {
      if ((this.#answers.size <= MAX_ANSWERS && this.#bytes <= MAX_BYTES) || oldest === key) break
      this.#drop(oldest, answer)
    }
  }

  clear(): void {
    this.#answers.clear()
    this.#bytes = 0
  }

  /** Bytes held by kept answers. */
  get bytes(): number {
    return this.#bytes
  }

  #drop(key: string, answer: Answer): void {
    this.#answers.delete(key)
    this.#bytes -= answer.body.length
  }
}

function sameSources(answer: Answer, sources: readonly Versioned[]): boolean {
  if (answer.sources.length !== sources.length) return false
  return sources.every((source, i) => source === answer.sources[i] && source.version === answer.versions[i])
}

/**
 * The JSON array of `rows` with each Status as worded at `now`, in one buffer of known length, and
 * until when (ms) every Status reads the same. A row given as bytes is one an engine just listed
 * (its JSON whole, Status and all: a list partly answered live).
 */
export function listBody(
  rows: readonly (CachedRow | Uint8Array)[],
  now: number,
): { body: Uint8Array; until: number } {
  let until = Infinity
  let length = 2 + Math.max(rows.length - 1, 0)
  const statuses: (Uint8Array | undefined)[] = []
  for (const row of rows) {
    if (row instanceof Uint8Array) {
      length += row.length
      statuses.push(undefined)
      continue
    }
    const status = statusOf(row, now)
    until = Math.min(until, status.until)
    length += row.bytes.length + status.bytes.length
    statuses.push(status.bytes)
  }
  const body = new Uint8Array(length)
  body[0] = 0x5b // [
  let at = 1
  for (let i = 0; i < rows.length; i++) {
    if (i) body[at++] = 0x2c // ,
    at = putRow(body, at, rows[i]!, statuses[i])
  }
  body[at] = 0x5d // ]
  return { body, until }
}

/**
 * Writes a row at `at` with its Status in its hole; returns where it ends. The whole row is copied
 * once and its tail moved up within the body: two copies of part views per row (`subarray`) cost
 * more at 50,000 rows (bench/results/profile.md, mergecost).
 */
function putRow(
  body: Uint8Array,
  at: number,
  row: CachedRow | Uint8Array,
  status: Uint8Array | undefined,
): number {
  if (row instanceof Uint8Array) {
    body.set(row, at)
    return at + row.length
  }
  const { bytes, hole } = row
  body.set(bytes, at)
  body.copyWithin(at + hole + status!.length, at + hole, at + bytes.length)
  body.set(status!, at + hole)
  return at + bytes.length + status!.length
}

/** A row's Status as JSON, worded at `from`, and until when (ms) it reads the same. */
interface WordedStatus {
  readonly bytes: Uint8Array
  readonly from: number
  readonly until: number
}

/**
 * Each row's Status as last worded. While containers are young ("Up 5 seconds") the answer changes
 * whenever one of them turns a second, each at its own phase: 90 rows, 90 rebuilds a second. Only
 * the rows that turned are worded again; the others' bytes are copied as they are.
 */
const worded = new WeakMap<CachedRow, WordedStatus>()

function statusOf(row: CachedRow, now: number): WordedStatus {
  const kept = worded.get(row)
  if (kept && kept.from <= now && now < kept.until) return kept
  const times = row.fields.times
  const status = {
    bytes: utf8.encode(JSON.stringify(statusText(times, now))),
    from: now,
    until: now + statusStableFor(times, now),
  }
  worded.set(row, status)
  return status
}
