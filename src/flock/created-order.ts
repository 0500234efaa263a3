/**
 * Newest first across hosts, as one engine lists containers. Lists carry `Created` in whole seconds;
 * containers made within one second on different hosts are ordered by the nanosecond `Created` of
 * their inspect, asked only for such ties (one engine orders its own by creation already). A
 * container's creation time never changes, so `times` keeps what was asked and a tie is asked once.
 *
 * O(n log n): one stable sort by second, then a sort by nanoseconds within each tied second.
 */
export async function newestFirst<T extends { host: unknown; item: Record<string, unknown> }>(
  entries: readonly T[],
  createdNanos: (entry: T) => Promise<bigint | undefined>,
  times: CreationTimes = new CreationTimes(0),
): Promise<T[]> {
  const decorated = entries.map((entry) => ({ entry, second: Number(entry.item.Created ?? 0) }))
  // Stable: within one second, each host's entries keep the engine's order.
  decorated.sort((a, b) => b.second - a.second)
  const sorted = decorated.map((d) => d.entry)
  const tied = tiedRuns(decorated)
  if (!tied.length) return sorted
  const nanos = await knownCreationTimes(
    tied.flatMap(([start, end]) => sorted.slice(start, end)),
    createdNanos,
    times,
  )
  for (const [start, end] of tied) {
    const run = sorted.slice(start, end)
    // A time that could not be read (the container went meanwhile) leaves the second as the engines
    // gave it, hosts in flock order, rather than guess.
    if (!run.every((entry) => nanos.has(entry))) continue
    run.sort((a, b) => {
      const [na, nb] = [nanos.get(a)!, nanos.get(b)!]
      return nb > na ? 1 : nb < na ? -1 : 0
    })
    sorted.splice(start, run.length, ...run)
  }
  return sorted
}

/**
 * Each entry's creation time in nanoseconds as far as it can be known: remembered in `times`, else
 * asked (all at once) and remembered; an entry whose time could not be read is left out.
 */
export async function knownCreationTimes<T extends { item: { readonly Id?: unknown } }>(
  entries: readonly T[],
  createdNanos: (entry: T) => Promise<bigint | undefined>,
  times: CreationTimes,
): Promise<Map<T, bigint>> {
  const nanos = new Map<T, bigint>()
  await Promise.all(entries.map(async (entry) => {
    const id = String(entry.item.Id ?? '')
    let value = times.get(id)
    if (value === undefined) {
      value = await createdNanos(entry).catch(() => undefined)
      if (value !== undefined) times.set(id, value)
    }
    if (value !== undefined) nanos.set(entry, value)
  }))
  return nanos
}

/** [start, end) of each run of one second that holds entries of more than one host. */
function tiedRuns(decorated: readonly { entry: { host: unknown }; second: number }[]): [number, number][] {
  const runs: [number, number][] = []
  let end = 0
  for (let start = 0; start < decorated.length; start = end) {
    const { second, entry: { host } } = decorated[start]!
    let mixed = false
    for (end = start + 1; end < decorated.length && decorated[end]!.second === second; end++) {
      if (decorated[end]!.entry.host !== host) mixed = true
    }
    if (mixed) runs.push([start, end])
  }
  return runs
}

/**
 * Creation times in nanoseconds by container ID, the oldest remembered dropped first beyond `limit`
 * (IDs are 256 random bits: one engine's never names another's container).
 */
export class CreationTimes {
  #times = new Map<string, bigint>()

  constructor(readonly limit = 50_000) {}

  get(id: string): bigint | undefined {
    return id ? this.#times.get(id) : undefined
  }

  set(id: string, nanos: bigint): void {
    if (!id || this.limit <= 0) return
    this.#times.set(id, nanos)
    if (this.#times.size > this.limit) this.#times.delete(this.#times.keys().next().value!)
  }

  get size(): number {
    return this.#times.size
  }
}

/** `2026-12-01T17:05:42.123456789Z` (RFC 3339 with nanoseconds, as inspect gives it) in nanoseconds. */
export function rfc3339Nanos(text: string): bigint | undefined {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text)
  if (!match) return undefined
  const ms = Date.parse(`${match[1]}${match[3]}`)
  if (Number.isNaN(ms)) return undefined
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'))
}
