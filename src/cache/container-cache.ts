/**
 * `GET /containers/json` for the whole flock from memory: one HostFeed per host, kept exact by the
 * host's events and by every change flocker makes (`changed`). A list is answered from here when
 * the query is one the rows can answer exactly (see container-filters.ts): wholly when every host it
 * covers is fresh (`listOf`), else the fresh hosts' rows (`freshRows`) merged with the others' live
 * answers; any other query is asked of the engines live.
 *
 * An answer is one buffer joined from each row's UTF-8 rendered once per change, with only the Status
 * texts worded per build, and is kept (list-answers.ts) while its rows and Status texts stand.
 *
 * Memory: the rendered row (one buffer with a hole for Status) and its filter fields, plus the kept
 * answers (at most 16, 8 MiB); bench/results gives bytes per container.
 */
import type { ListQuery } from './container-filters.ts'
import { type CachedRow, type ContainerRow, type FeedHost, HostFeed, type RowRenderer } from './host-feed.ts'
import { InspectCache, type InspectWindow } from './inspect-cache.ts'
import { ListAnswers, listBody } from './list-answers.ts'
import { ReadLane } from './read-lane.ts'

/** dockerd's Running: true while paused or restarting too. */
const RUNNING = new Set(['running', 'paused', 'restarting'])

export interface ContainerCacheOptions<H extends FeedHost> {
  /** The host label and display names, as a live list shows them. */
  readonly render: (row: ContainerRow, host: H) => Record<string, unknown>
  /** Told every container a host holds, after each resync (the owner cache, last-seen rows). */
  readonly onRows?: (host: H, ids: string[], rows: readonly ContainerRow[]) => void
  readonly now?: () => number
  /**
   * Whether the host itself can be believed now (its health checks: flock/health.ts vouchesFor). A
   * frozen engine keeps its events stream open and silent, so a fresh feed alone does not show it.
   */
  readonly trusts?: (host: H) => boolean
  /** The feeds' reads (lists, inspects) on their way at once, over every host (read-lane.ts). */
  readonly concurrentReads?: number
}

/**
 * Enough reads at once to fill a large flock's cache as fast as sending them all did (500 simulated
 * hosts: 56 s, against 184 s at 32 while `ps -a` was asked live meanwhile, bench/results/profile.md);
 * few enough that a first `ps -a` answers from every host on a busy machine (2,000 at once did not).
 */
const CONCURRENT_READS = 256

/** What the list cache can answer of a list some of whose hosts are not fresh (`freshRows`). */
export interface FreshRows<H> {
  /** The hosts answered from memory. */
  readonly hosts: ReadonlySet<H>
  /** Their rows, newest first across them, by nanoseconds within a second, hosts in order on a tie. */
  readonly rows: readonly CachedRow[]
  /** `owners[i]` holds `rows[i]`. */
  readonly owners: readonly H[]
}

export class ContainerCache<H extends FeedHost> {
  #feeds = new Map<H, HostFeed>()
  #answers = new ListAnswers()
  /** Container inspects kept while their host stays quiet (inspect-cache.ts). */
  readonly inspects = new InspectCache()
  readonly #lane: ReadLane

  constructor(private readonly options: ContainerCacheOptions<H>) {
    this.#lane = new ReadLane(options.concurrentReads ?? CONCURRENT_READS)
  }

  /** Starts following hosts that joined, stops those that left. */
  follow(hosts: Iterable<H>): void {
    const keep = new Set(hosts)
    this.#answers.clear()
    for (const [host, feed] of this.#feeds) {
      if (!keep.has(host)) {
        feed.stop()
        this.#feeds.delete(host)
      }
    }
    for (const host of keep) {
      if (this.#feeds.has(host)) continue
      const render: RowRenderer = (row) => this.options.render(row, host)
      const onRows = (ids: string[], rows: readonly ContainerRow[]) => this.options.onRows?.(host, ids, rows)
      const feed = new HostFeed(host, render, onRows, this.#lane)
      this.#feeds.set(host, feed)
      feed.start()
    }
  }

  stop(): void {
    for (const feed of this.#feeds.values()) feed.stop()
    this.#feeds.clear()
    this.#answers.clear()
  }

  /** A change made through flocker on `host`: the very next list must show it. */
  changed(host: H): void {
    this.#feeds.get(host)?.changed()
  }

  /**
   * What a kept inspect of a container on `host` is judged by; undefined (asked live) while the host
   * is not trusted: a frozen engine's stream looks quiet.
   */
  inspectWindow(host: H): InspectWindow | undefined {
    return this.#trusted(host) ? this.#feeds.get(host) : undefined
  }

  /** Whether `host` can be answered from memory now. */
  fresh(host: H): boolean {
    return this.#freshFeed(host) !== undefined
  }

  /** The host's feed when its rows are exact and the host itself is trusted; else undefined. */
  #freshFeed(host: H): HostFeed | undefined {
    const feed = this.#feeds.get(host)
    return feed?.fresh && this.#trusted(host) ? feed : undefined
  }

  #trusted(host: H): boolean {
    return this.options.trusts?.(host) ?? true
  }

  /**
   * The JSON of the list over `hosts` (in flock order) of the rows `query` keeps, or undefined when
   * some host is not fresh; `key` names the query among kept answers (list-plans.ts reads both once
   * per query string).
   */
  listOf(hosts: readonly H[], query: ListQuery, key: string): Uint8Array | undefined {
    const feeds: HostFeed[] = []
    for (const host of hosts) {
      const feed = this.#freshFeed(host)
      if (!feed) return undefined
      feeds.push(feed)
    }
    const now = (this.options.now ?? Date.now)()
    const answerKey = `${hosts.map((host) => host.name).join('\n')}\n${key}`
    const kept = this.#answers.get(answerKey, feeds, now)
    if (kept) return kept
    const rows = newestFirst(feeds.flatMap((feed) => keptRows(feed, query)))
    const shown = query.limit > 0 ? rows.slice(0, query.limit) : rows
    const { body, until } = listBody(shown, now)
    this.#answers.put(answerKey, feeds, body, now, until)
    return body
  }

  /**
   * The rows `query` keeps of the hosts of `hosts` (in flock order) that are fresh now, ordered as
   * `listOf` orders them, with each row's host; the hosts that are not are left out (the caller asks
   * them live and merges both).
   */
  freshRows(hosts: readonly H[], query: ListQuery): FreshRows<H> {
    const fresh = new Set<H>()
    const rows: CachedRow[] = []
    const owners: H[] = []
    for (const host of hosts) {
      const feed = this.#freshFeed(host)
      if (!feed) continue
      fresh.add(host)
      for (const row of keptRows(feed, query)) {
        rows.push(row)
        owners.push(host)
      }
    }
    // Stable: on equal times, hosts in the order given.
    const order = rows.map((_, i) => i).sort((a, b) => newerFirst(rows[a]!, rows[b]!))
    return { hosts: fresh, rows: order.map((i) => rows[i]!), owners: order.map((i) => owners[i]!) }
  }

  /** Containers held, over every host. */
  get size(): number {
    let n = 0
    for (const feed of this.#feeds.values()) n += feed.size
    return n
  }

  /**
   * Who holds the name `bare` on `host` as far as its rows know (check `fresh` first): its ID and
   * labels, or undefined when no container there has that name.
   */
  namedOn(host: H, bare: string): { id: string; labels: Readonly<Record<string, string>> } | undefined {
    return this.#feeds.get(host)?.named(`/${bare}`)
  }

  /** The full ID of the container named (or IDed) `ref` on `host`, if its rows have it. */
  idOn(host: H, ref: string): string | undefined {
    return this.#feeds.get(host)?.idOf(ref)
  }

  /** The hosts whose rows hold `ref` as a name or full ID, when every host is fresh; else undefined. */
  holdersOf(hosts: readonly H[], ref: string): H[] | undefined {
    const out: H[] = []
    const name = `/${ref}`
    for (const host of hosts) {
      const feed = this.#freshFeed(host)
      if (!feed) return undefined
      if (feed.holds(name) || feed.holds(ref)) out.push(host)
    }
    return out
  }
}

function keptRows(feed: HostFeed, query: ListQuery): CachedRow[] {
  const rows: CachedRow[] = []
  for (const row of feed.rows) {
    if ((query.all || RUNNING.has(row.fields.state)) && query.match(row.fields)) rows.push(row)
  }
  return rows
}

/**
 * As a live merge orders them (flock/created-order.ts): newest first, by the inspect's nanoseconds
 * within one second.
 */
function newestFirst(rows: CachedRow[]): CachedRow[] {
  return rows.sort(newerFirst)
}

function newerFirst(a: CachedRow, b: CachedRow): number {
  return b.created - a.created || b.createdNanos - a.createdNanos
}
