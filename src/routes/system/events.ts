import { encodeJsonLine, jsonMessages } from '../../docker/json-lines.ts'
import type { EventJson } from '../../docker/types.ts'
import { hostFilters } from '../../flock/host-filters.ts'
import { HOST_LABEL } from '../../flock/host-view.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'

/** How long a follower waits before asking a host that dropped its stream again. */
const RECONNECT_DELAY = 1_000
/** Events held for a client that is not reading, before the hosts' streams are paused. */
const EVENTS_BUFFERED = 64

/** Where followers wait while the client's stream is full; `pull` (the client read) lets them on. */
class Room {
  #waiting: (() => void)[] = []

  wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const done = () => {
        signal.removeEventListener('abort', done)
        resolve()
      }
      this.#waiting.push(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  open(): void {
    const waiting = this.#waiting
    this.#waiting = []
    for (const resolve of waiting) resolve()
  }
}

/**
 * `docker events` for the flock: one stream merged from every usable host, each event tagged with
 * its host (`Actor.Attributes["flocker.host"]`, and a `node` object as Swarm classic sent).
 * `since`, `until` and the engine's filters are passed to each engine; `node=NAME` and
 * `label=flocker.host=NAME` pick hosts here. A host whose stream drops is asked again from the
 * time of its last event (nothing lost, nothing twice); hosts that join the flock join the stream.
 */
export async function answerEvents(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const side = req.sideEvents
  const plan = eventsPlan(req)
  const refusal = await engineRefusal(ctx, req, plan)
  if (refusal) return refusal
  const stop = new AbortController()
  const followers = new Map<Host, AbortController>()
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let unsubscribe = () => {}
  const finish = () => {
    if (stop.signal.aborted) return
    stop.abort()
    unsubscribe()
    try {
      controller.close()
    } catch {
      // the client went away first
    }
  }
  const follow = (host: Host) => {
    if (followers.has(host) || !plan.wants(host)) return
    const abort = new AbortController()
    followers.set(host, abort)
    const signal = AbortSignal.any([stop.signal, abort.signal])
    const emit = async (event: unknown) => {
      // Backpressure: a client that reads slowly (or never) pauses every host's stream here, so the
      // engines' sockets fill instead of flocker's memory.
      while (!signal.aborted && (controller.desiredSize ?? 0) <= 0) await room.wait(signal)
      if (!signal.aborted) controller.enqueue(encodeJsonLine(event))
    }
    const extra = side?.(host, signal)
    void Promise.all([
      followHost(ctx, host, req, plan.query, plan, signal, emit),
      extra && followHost(ctx, host, req, extra.query, plan, signal, emit, extra.admit),
    ]).finally(() => {
      followers.delete(host)
      if (!followers.size && plan.bounded()) finish()
    })
  }
  const room = new Room()
  const stream = new ReadableStream<Uint8Array>({
    pull() {
      room.open()
    },
    start(c) {
      controller = c
      const listener = ({ added, removed }: { added: Host[]; removed: Host[] }) => {
        for (const host of removed) followers.get(host)?.abort()
        if (!plan.bounded()) added.forEach(follow)
      }
      ctx.flock.listeners.add(listener)
      unsubscribe = () => ctx.flock.listeners.delete(listener)
      const hosts = plan.bounded() ? ctx.flock.usable : ctx.flock.all
      hosts.forEach(follow)
      if (!followers.size && plan.bounded()) finish()
    },
    cancel() {
      stop.abort()
      unsubscribe()
    },
  }, { highWaterMark: EVENTS_BUFFERED })
  req.signal.addEventListener('abort', () => {
    stop.abort()
    unsubscribe()
  }, { once: true })
  return new Response(stream, {
    headers: { 'Content-Type': 'application/json', 'Docker-Experimental': 'false' },
  })
}

/**
 * A filter or time the engines refuse (malformed `filters`, `since=abc`) gets the engine's own error,
 * as from one engine, instead of a stream that retries forever: one host is asked first, and only its
 * answer's head is read.
 */
async function engineRefusal(
  ctx: FlockerContext,
  req: DockerRequest,
  plan: EventsPlan,
): Promise<Response | null> {
  const host = ctx.flock.usable.find(plan.wants)
  if (!host) return null
  try {
    const response = await headWithin(
      ctx.options.hostTimeout,
      req.signal,
      (bounded) => host.request('GET', req.upstreamPath('/events', plan.query), { signal: bounded }),
    )
    if (response.status >= 400 && response.status <= 500) return response
    await response.body?.cancel()
  } catch {
    // the host could not answer: the followers deal with hosts that come and go
  }
  return null
}

/**
 * A second stream per host beside the client's (a tenant's network and volume events, which the
 * owner label cannot select): its own query, and whether each of its events is shown.
 */
export type SideEvents = (host: Host, signal: AbortSignal) => {
  readonly query: URLSearchParams
  readonly admit: (event: EventJson) => Promise<boolean>
} | undefined

interface EventsPlan {
  /** The query for engines, without flocker's own filters. */
  readonly query: URLSearchParams
  readonly wants: (host: Host) => boolean
  /** Whether the stream ends by itself (`until` has passed): then no reconnects, no new hosts. */
  readonly bounded: () => boolean
}

export function eventsPlan(req: { url: URL }): EventsPlan {
  const { query, keep } = hostFilters(req.url.searchParams)
  const until = parseTime(query.get('until'))
  return {
    query,
    wants: keep,
    bounded: () => until !== undefined && Date.now() >= until,
  }
}

/** Docker's times: unix seconds with an optional fraction, or an RFC 3339 date; ms since epoch. */
export function parseTime(text: string | null): number | undefined {
  if (!text) return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** `seconds.nanoseconds` as docker's `since` takes it. */
export function sinceParam(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n
  const nanos = timeNano % 1_000_000_000n
  return `${seconds}.${String(nanos).padStart(9, '0')}`
}

/** Streams one host's events for `asked` into `emit` (those `admit` lets through) until stopped, resuming after drops. */
async function followHost(
  ctx: FlockerContext,
  host: Host,
  req: DockerRequest,
  asked: URLSearchParams,
  plan: EventsPlan,
  signal: AbortSignal,
  emit: (event: unknown) => Promise<void>,
  admit?: (event: EventJson) => Promise<boolean>,
): Promise<void> {
  let resumeFrom: bigint | null = null
  let seenAtResume = new Set<string>()
  while (!signal.aborted && ctx.flock.byName(host.name) === host) {
    const query = new URLSearchParams(asked)
    if (resumeFrom !== null) query.set('since', sinceParam(resumeFrom))
    const connectedAt = BigInt(Date.now()) * 1_000_000n
    try {
      const response = await headWithin(
        ctx.options.hostTimeout,
        signal,
        (bounded) => host.request('GET', req.upstreamPath('/events', query), { signal: bounded }),
      )
      if (response.ok && response.body) {
        for await (const raw of jsonMessages(response.body)) {
          const event = raw as EventJson
          const time = eventTime(event)
          const key = JSON.stringify(event)
          if (resumeFrom !== null && time !== null) {
            if (time < resumeFrom || (time === resumeFrom && seenAtResume.has(key))) continue
          }
          if (time !== null) {
            if (time !== resumeFrom) seenAtResume = new Set()
            resumeFrom = time
            seenAtResume.add(key)
          }
          if (admit && !(await admit(event))) continue
          noteOwner(ctx, host, event)
          await emit(tagEvent(event, host))
        }
      } else {
        await response.body?.cancel()
      }
    } catch {
      // the host dropped or cannot be reached: ask again from the last event
    }
    if (plan.bounded() || signal.aborted) return
    resumeFrom ??= connectedAt
    await sleep(RECONNECT_DELAY, signal)
  }
}

/**
 * A host that takes the connection but never answers (hung) must not hold a bounded run open: the
 * response head must come within `timeout`; the stream after it may last as long as it likes.
 */
async function headWithin(
  timeout: number,
  signal: AbortSignal,
  send: (signal: AbortSignal) => Promise<Response>,
): Promise<Response> {
  const slow = new AbortController()
  const timer = setTimeout(() => slow.abort(new Error('no answer in time')), timeout)
  try {
    return await send(AbortSignal.any([signal, slow.signal]))
  } finally {
    clearTimeout(timer)
  }
}

function eventTime(event: EventJson): bigint | null {
  if (event.timeNano !== undefined) return BigInt(event.timeNano)
  if (event.time !== undefined) return BigInt(event.time) * 1_000_000_000n
  return null
}

/** Events keep the owner cache fresh: a new container is known at once, a removed one forgotten. */
function noteOwner(ctx: FlockerContext, host: Host, event: EventJson): void {
  if (event.Type !== 'container' || typeof event.id !== 'string') return
  if (event.Action === 'create') ctx.flock.owners.remember(event.id, host)
  if (event.Action === 'destroy') ctx.flock.owners.forget(event.id)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    }, { once: true })
  })
}

export function tagEvent(event: unknown, host: Host): unknown {
  if (typeof event !== 'object' || event === null) return event
  const record = event as EventJson
  const actor = record.Actor ?? {}
  return {
    ...record,
    Actor: { ...actor, Attributes: { ...(actor.Attributes ?? {}), [HOST_LABEL]: host.name } },
    node: { Name: host.name, Addr: host.address, Id: host.facts?.id ?? '' },
  }
}
