/**
 * Newest first across hosts, as one engine lists containers. Lists carry `Created` in whole seconds;
 * containers made within one second on different hosts are ordered by the nanosecond `Created` of
 * their inspect, asked only for such ties (one engine orders its own by creation already).
 */
export async function newestFirst<T extends { host: H; item: Record<string, unknown> }, H>(
  entries: readonly T[],
  createdNanos: (entry: T) => Promise<bigint | undefined>,
): Promise<T[]> {
  const seconds = (entry: T) => Number(entry.item.Created ?? 0)
  const sorted = [...entries].sort((a, b) => seconds(b) - seconds(a))
  const nanos = new Map<T, bigint>()
  const tied = sorted.filter((entry) =>
    sorted.some((other) => other.host !== entry.host && seconds(other) === seconds(entry))
  )
  await Promise.all(tied.map(async (entry) => {
    const value = await createdNanos(entry).catch(() => undefined)
    if (value !== undefined) nanos.set(entry, value)
  }))
  if (!nanos.size) return sorted
  return sorted.sort((a, b) => {
    const bySecond = seconds(b) - seconds(a)
    if (bySecond) return bySecond
    const [na, nb] = [nanos.get(a), nanos.get(b)]
    if (na === undefined || nb === undefined) return 0
    return nb > na ? 1 : nb < na ? -1 : 0
  })
}

/** `2026-12-01T17:05:42.123456789Z` (RFC 3339 with nanoseconds, as inspect gives it) in nanoseconds. */
export function rfc3339Nanos(text: string): bigint | undefined {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text)
  if (!match) return undefined
  const ms = Date.parse(`${match[1]}${match[3]}`)
  if (Number.isNaN(ms)) return undefined
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'))
}
