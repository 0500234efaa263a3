/**
 * Follows one host's `GET /events` for as long as `signal` lets it: what the list cache and the name
 * index are kept exact by. `up` is told once the stream is open (every event from then on will be
 * told), `down` once it ends or fails; a stream that fails is opened again after a growing pause.
 */
import { jsonMessages } from '../docker/json-lines.ts'

/** What following needs of a host (src/flock/host.ts has it). */
export interface EventsHost {
  request(method: string, path: string, init?: { signal?: AbortSignal }): Promise<Response>
}

export interface EventHandlers {
  readonly up: () => void
  readonly event: (event: EngineEvent) => void
  readonly down: () => void
}

/** The fields of an engine event read here (dockerd 1.41: Type, Action, Actor; older: status, id). */
export interface EngineEvent {
  Type?: string
  Action?: string
  status?: string
  id?: string
  Actor?: { ID?: string; Attributes?: Record<string, string> }
}

const RETRY_MS = [250, 1000, 2000, 5000]

export async function followEvents(
  host: EventsHost,
  filters: Record<string, string[]>,
  signal: AbortSignal,
  handlers: EventHandlers,
): Promise<void> {
  const path = `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`
  let failures = 0
  while (!signal.aborted) {
    let wasUp = false
    try {
      const response = await host.request('GET', path, { signal })
      if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`)
      wasUp = true
      failures = 0
      handlers.up()
      for await (const event of jsonMessages(response.body)) handlers.event(event as EngineEvent)
    } catch {
      // down or cut: told below, and opened again
    }
    if (wasUp) handlers.down()
    if (signal.aborted) return
    const delay = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}
