import { DockerError, hostUnreachable } from '../docker/errors.ts'
import { formatEndpoint } from '../host-client/endpoint.ts'
import type { Endpoint, RawConnection, RuntimeAdapter } from '../runtime/types.ts'

export type HostStatus = 'pending' | 'healthy' | 'unhealthy'

/** What the engine says of itself in /info and /version, kept for scheduling and `docker info`. */
export interface EngineFacts {
  readonly id: string
  readonly name: string
  readonly ncpu: number
  readonly memTotal: number
  readonly os: string
  readonly osType: string
  readonly kernelVersion: string
  readonly serverVersion: string
  readonly apiVersion: string
  readonly storageDriver: string
  readonly labels: Record<string, string>
  readonly containers: number
  readonly containersRunning: number
  readonly images: number
}

export interface RequestInit {
  readonly headers?: HeadersInit
  readonly body?: ReadableStream<Uint8Array> | Uint8Array | null
  readonly signal?: AbortSignal
}

/** One docker engine of the flock, and the one way flocker talks to it. */
export class Host {
  status: HostStatus = 'pending'
  /** When `status` last changed. */
  statusSince: Date = new Date()
  lastError = ''
  lastCheck: Date | null = null
  facts: EngineFacts | null = null
  consecutiveFailures = 0
  /** Requests still waiting for this host's answer head, each with the way to end it. */
  readonly #waitingForHead = new Set<(reason: Error) => void>()

  constructor(
    readonly name: string,
    readonly endpoint: Endpoint,
    readonly labels: Readonly<Record<string, string>>,
    private readonly adapter: RuntimeAdapter,
  ) {}

  get address(): string {
    return formatEndpoint(this.endpoint)
  }

  /** Labels the scheduler matches on: the operator's, then the engine's own (operator wins). */
  get allLabels(): Record<string, string> {
    return { ...this.facts?.labels, ...this.labels }
  }

  /** Sends a request; a host that cannot be reached becomes a 502 naming the host. */
  async request(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.delete('host')
    // A body flocker rewrote has its own length; a streamed one keeps the client's framing.
    if (init.body instanceof Uint8Array) headers.set('content-length', String(init.body.byteLength))
    else if (!init.body) headers.delete('content-length')
    // Until the head arrives, a host found frozen by the health checks ends the wait (see
    // failPendingHeads); once the body streams, only the client or the connection ends it.
    const frozen = new AbortController()
    const fail = (reason: Error) => frozen.abort(reason)
    this.#waitingForHead.add(fail)
    const signal = init.signal ? AbortSignal.any([init.signal, frozen.signal]) : frozen.signal
    try {
      return await this.adapter.request(this.endpoint, {
        method,
        path,
        headers,
        body: init.body ?? null,
        signal,
      })
    } catch (error) {
      if (error instanceof DockerError) throw error
      throw hostUnreachable(this.name, frozen.signal.aborted ? frozen.signal.reason : error)
    } finally {
      this.#waitingForHead.delete(fail)
    }
  }

  /**
   * Ends every request still waiting for this host's answer head: the host stopped answering (its
   * health checks failed), and a frozen engine that keeps its sockets open would hold them forever.
   */
  failPendingHeads(reason: string): void {
    const error = new Error(`it stopped answering (${reason})`)
    for (const fail of [...this.#waitingForHead]) fail(error)
  }

  /** GET (or another method) answered with JSON; a non-2xx answer is thrown as the engine's error. */
  async json<T>(path: string, init: RequestInit & { method?: string } = {}): Promise<T> {
    const response = await this.request(init.method ?? 'GET', path, init)
    const text = await response.text()
    if (!response.ok) throw new DockerError(response.status, engineMessage(text))
    return (text ? JSON.parse(text) : null) as T
  }

  async dial(signal?: AbortSignal): Promise<RawConnection> {
    try {
      return await this.adapter.dial(this.endpoint, signal)
    } catch (error) {
      throw hostUnreachable(this.name, error)
    }
  }
}

/** The `message` of a docker error body, or the text itself. */
export function engineMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    if (typeof parsed?.message === 'string') return parsed.message
  } catch {
    // not JSON: the text is the message
  }
  return text.trim()
}
