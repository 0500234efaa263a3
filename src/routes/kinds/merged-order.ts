/**
 * The order of a container list partly from memory: the same as a live merge over every host gives
 * (flock/created-order.ts `newestFirst` over the hosts' rows in flock order, then the last-seen rows of
 * the hosts that failed now), without making an object of each row from memory. Those come ordered
 * already (newest first, by nanoseconds within a second, hosts in flock order on a tie), so only the
 * seconds that hold a row listed live are looked at row by row; the rows from memory between them are
 * copied as they are, up to the limit.
 */
import type { CachedRow } from '../../cache/host-feed.ts'
import { type CreationTimes, knownCreationTimes } from '../../flock/created-order.ts'

/** The fresh hosts' rows, as the list cache orders them (container-cache.ts `freshRows`). */
export interface RowsFromMemory<H> {
  /** Newest first, by nanoseconds within a second, hosts in flock order on a tie. */
  readonly rows: readonly CachedRow[]
  /** `owners[i]` holds `rows[i]`. */
  readonly owners: readonly H[]
}

/** A row a host listed now, or the last-seen row of a host that failed now. */
export interface ListedRow<H> {
  readonly host: H
  readonly item: { readonly Id?: unknown; readonly Created?: unknown }
}

export interface MergeOptions<H, E extends ListedRow<H>> {
  /** A host's place in the flock: the order a tie keeps. */
  readonly position: (host: H) => number
  /** An entry's creation time in nanoseconds (its inspect), asked only for a second tied across hosts. */
  readonly createdNanos: (entry: E) => Promise<bigint | undefined>
  /** Creation times asked before, by container ID. */
  readonly times: CreationTimes
  /** At most this many rows; 0 or less: all. */
  readonly limit: number
}

/**
 * `memory` and `live` (the hosts asked, in flock order, each host's rows as it listed them) and
 * `down` (the last-seen rows of the hosts that failed now, after them) newest first, limited.
 */
export async function mergeNewestFirst<H, E extends ListedRow<H>>(
  memory: RowsFromMemory<H>,
  live: readonly E[],
  down: readonly E[],
  options: MergeOptions<H, E>,
): Promise<(CachedRow | E)[]> {
  const isDown = new Set(down)
  // Stable: within one second, each host's rows keep the engine's order, the down hosts' come last.
  const listed = [...live, ...down].sort((a, b) => secondOf(b) - secondOf(a))
  const limit = options.limit > 0 ? options.limit : Infinity
  const seconds = secondsWithListedRows(memory.rows, listed).filter((second) => second.before < limit)
  const tied = new Set(seconds.filter((second) => isTied(second, listed)))
  const asked = [...tied].flatMap((second) => listed.slice(...second.listed))
  const nanos = await knownCreationTimes(asked, options.createdNanos, options.times)
  const { position } = options
  const rank = (entry: E) => isDown.has(entry) ? Infinity : position(entry.host)
  const orderOf = (second: Second): readonly (CachedRow | E)[] => {
    const rows = listed.slice(...second.listed)
    if (!tied.has(second)) return rows
    if (rows.every((entry) => nanos.has(entry))) {
      return byNanos(memory, second.memory, rows, nanos, rank, position)
    }
    return inFlockOrder(memory, second.memory, rows, rank, position)
  }
  const out: (CachedRow | E)[] = []
  let next = 0
  for (const second of seconds) {
    for (; next < second.memory[0]; next++) out.push(memory.rows[next]!)
    next = second.memory[1]
    // One by one: a second of many hosts' rows is more than a spread's arguments may be.
    for (const row of orderOf(second)) out.push(row)
  }
  for (; next < memory.rows.length && out.length < limit; next++) out.push(memory.rows[next]!)
  return out.length > limit ? out.slice(0, limit) : out
}

/** One second that holds listed rows: their [start, end) in `listed`, its rows' in memory, rows before. */
interface Second {
  readonly listed: [number, number]
  readonly memory: [number, number]
  /** Rows of either kind newer than this second. */
  readonly before: number
}

function secondOf(entry: ListedRow<unknown>): number {
  return Number(entry.item.Created ?? 0)
}

/** Each second of `listed` (newest first) and the rows from memory of that second. */
function secondsWithListedRows(rows: readonly CachedRow[], listed: readonly ListedRow<unknown>[]): Second[] {
  const seconds: Second[] = []
  let at = 0
  for (let start = 0, end = 0; start < listed.length; start = end) {
    const second = secondOf(listed[start]!)
    for (end = start + 1; end < listed.length && secondOf(listed[end]!) === second; end++);
    while (at < rows.length && rows[at]!.created > second) at++
    let last = at
    while (last < rows.length && rows[last]!.created === second) last++
    seconds.push({ listed: [start, end], memory: [at, last], before: at + start })
    at = last
  }
  return seconds
}

/** A second holding rows of more than one host: the live merge orders it by nanoseconds. */
function isTied(group: Second, listed: readonly ListedRow<unknown>[]): boolean {
  if (group.memory[1] > group.memory[0]) return true // memory's hosts are never asked live
  const host = listed[group.listed[0]]!.host
  return listed.slice(group.listed[0], group.listed[1]).some((entry) => entry.host !== host)
}

/**
 * A tied second whose times are all known: memory's rows (ordered so already) and the listed ones
 * (stably sorted by time) merged, newest first; on equal times the earlier in the live merge's
 * sequence first (hosts in flock order, the down hosts' rows after every other).
 */
function byNanos<H, E extends ListedRow<H>>(
  memory: RowsFromMemory<H>,
  [first, end]: readonly [number, number],
  rows: readonly E[],
  nanos: ReadonlyMap<E, bigint>,
  rank: (entry: E) => number,
  position: (host: H) => number,
): (CachedRow | E)[] {
  const listed = rows.map((entry) => ({ entry, time: timeOfNanos(nanos.get(entry)!) }))
    .sort((a, b) => compareTimes(b.time, a.time))
  const out: (CachedRow | E)[] = []
  let m = first
  for (const { entry, time } of listed) {
    for (; m < end; m++) {
      const order = compareTimes(time, timeOfRow(memory.rows[m]!))
      if (order > 0 || (order === 0 && rank(entry) < position(memory.owners[m]!))) break
      out.push(memory.rows[m]!)
    }
    out.push(entry)
  }
  for (; m < end; m++) out.push(memory.rows[m]!)
  return out
}

/**
 * A tied second with a time not known (an inspect failed, a down host's row): as the hosts gave it,
 * hosts in flock order, the down hosts' rows last (newestFirst leaves such a second so).
 */
function inFlockOrder<H, E extends ListedRow<H>>(
  memory: RowsFromMemory<H>,
  [first, end]: readonly [number, number],
  rows: readonly E[],
  rank: (entry: E) => number,
  position: (host: H) => number,
): (CachedRow | E)[] {
  const fromMemory = memory.rows.slice(first, end).map((row, i) => ({
    row,
    rank: position(memory.owners[first + i]!),
  }))
  const listed = rows.map((entry) => ({ row: entry, rank: rank(entry) }))
  // Stable: each host's rows keep their order (memory's: by time, as the host's own list has them).
  return [...fromMemory, ...listed].sort((a, b) => a.rank - b.rank).map(({ row }) => row)
}

/** A creation time as whole seconds and nanoseconds within (floored): compared without a BigInt. */
interface Time {
  readonly seconds: number
  readonly nanos: number
}

function timeOfNanos(nanos: bigint): Time {
  const within = ((nanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n
  return { seconds: Number((nanos - within) / 1_000_000_000n), nanos: Number(within) }
}

/** A row from memory's time: the list's second and the inspect's nanoseconds within it. */
function timeOfRow(row: CachedRow): Time {
  const carry = Math.floor(row.createdNanos / 1e9)
  return { seconds: row.created + carry, nanos: row.createdNanos - carry * 1e9 }
}

function compareTimes(a: Time, b: Time): number {
  return a.seconds - b.seconds || a.nanos - b.nanos
}
