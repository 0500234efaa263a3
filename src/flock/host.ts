import { DockerError, hostUnreachable } from '../docker/errors.ts'
import { formatEndpoint } from '../addresses/endpoint.ts'
import type {
  AbortSignalLike,
  Endpoint,
  HijackCapability,
  HostClient,
  HostClientOptions,
  HostTransport,
  UpgradeRequest,
} from '../runtime/types.ts'
import type { Observers } from '../observe/observer.ts'
import { type HostRole, noteHost } from '../observe/scope.ts'
import { hasWholeBody, textOf } from '../runtime/whole-body.ts'

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

/** What a request to a host may carry besides its method and path. */
export interface HostRequestInit {
  readonly headers?: HeadersInit
  readonly body?: ReadableStream<Uint8Array> | Uint8Array | null
  readonly signal?: AbortSignal
  /** The caller reads the whole answer at once (see HostRequest.whole). */
  readonly whole?: boolean
  /** A download passed on untouched (see HostRequest.download). */
  readonly download?: boolean
}

/** `POST /containers/{id}/wait`, whose answer ends when the container has exited. */
const WAIT = /^(\/v[\d.]+)?\/containers\/[^/?]+\/wait(\?|$)/
/** Statuses whose answers carry no body (Fetch: a null body status). */
const NO_BODY_STATUS = new Set([101, 204, 205, 304])

/** One docker engine of the flock, and the one way flocker talks to it. */
export class Host {
  status: HostStatus = 'pending'
  /** When `status` last changed. */
  statusSince: Date = new Date()
  lastError = ''
  lastCheck: Date | null = null
  facts: EngineFacts | null = null
  consecutiveFailures = 0
  /**
   * When (performance.now()) the host last answered anything: a health check or any request's
   * answer head. A host that answers others while its check times out is busy, not frozen.
   */
  lastAnswerAt: number = performance.now()
  #client: HostClient | null = null
  /** Requests still waiting for this host's answer head, each with the way to end it. */
  readonly #waitingForHead = new Set<(reason: Error) => void>()
  /** Requests that may have changed what the host holds (any but GET and HEAD) answered so far. */
  writesAnswered = 0
  /** The paths of such requests sent and not yet answered (their head), one entry per request. */
  readonly writePathsOnTheWay: string[] = []
  /** Told of every request that may change what the host holds (any but GET and HEAD), once answered. */
  readonly writes: Set<(path: string) => void> = new Set()
  /** Told of every such request once answered, like `writes`, but never again at a wait's end. */
  afterWrite: ((path: string) => void) | undefined
  /** Creates flocker is handling, any of which may land here (the flock's count, set by Flock). */
  createsBeingPlaced: { readonly count: number } = { count: 0 }
  /** Such requests on their way: the list cache waits for them. */
  get writesOnTheWay(): number {
    return this.writePathsOnTheWay.length
  }
  /** Hijacked sessions (attach, exec) open to this host now. */
  liveSessions = 0
  /** Told each time the last open session of this host ends (a dropped host's drain, see Flock). */
  onSessionsEnded: (() => void) | undefined

  constructor(
    readonly name: string,
    readonly endpoint: Endpoint,
    readonly labels: Readonly<Record<string, string>>,
    private readonly transport: HostTransport,
    private readonly clientOptions: HostClientOptions = {},
    /** Told of every request sent to this host (metrics: latency per host). */
    readonly observers?: Observers,
  ) {}

  /** This host's connections (its keep-alive agent), made on first use and dropped by close(). */
  get #connection(): HostClient {
    return this.#client ??= this.transport.connect(this.endpoint, this.clientOptions)
  }

  get address(): string {
    return formatEndpoint(this.endpoint)
  }

  /** Labels the scheduler matches on: the operator's, then the engine's own (operator wins). */
  get allLabels(): Record<string, string> {
    return { ...this.facts?.labels, ...this.labels }
  }

  /** Sends a request; a host that cannot be reached becomes a 502 naming the host. */
  request(method: string, path: string, init: HostRequestInit = {}): Promise<Response> {
    return this.#send(method, path, init, 'forwarded')
  }

  /** `forwarded`: the client's request goes here; `asked`: flocker asks for itself (lookups, lists). */
  async #send(method: string, path: string, init: HostRequestInit, role: HostRole): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.delete('host')
    // A body flocker rewrote has its own length; a streamed one keeps the client's framing.
    if (init.body instanceof Uint8Array) headers.set('content-length', String(init.body.byteLength))
    else if (!init.body) headers.delete('content-length')
    noteHost(init.signal, this.name, role)
    const started = performance.now()
    let status: number | null = null
    const write = method !== 'GET' && method !== 'HEAD'
    if (write) this.writePathsOnTheWay.push(path)
    try {
      const response = await this.#untilHead(
        init.signal,
        (signal) =>
          this.#connection.request({
            method,
            path,
            headers,
            body: init.body ?? null,
            signal,
            whole: init.whole,
            download: init.download,
          }),
      )
      status = response.status
      if (method === 'GET' || method === 'HEAD') return response
      this.writesAnswered++
      this.afterWrite?.(path)
      if (!this.writes.size) return response
      this.#tellWrites(path)
      // A wait answers its head at once and its body when the container has exited: tell again then,
      // so a list right after `docker wait` (or `docker run`) does not show it running.
      return WAIT.test(path) && response.body ? this.#tellAtEnd(response, path) : response
    } catch (error) {
      if (error instanceof DockerError) throw error
      throw hostUnreachable(this.name, error)
    } finally {
      if (write) this.writePathsOnTheWay.splice(this.writePathsOnTheWay.indexOf(path), 1)
      if (this.observers?.active) {
        this.observers.hostCall({ host: this.name, method, status, durationMs: performance.now() - started })
      }
    }
  }

  /**
   * Runs a request whose wait for the answer head a frozen host must not hold: when the health
   * checks find this host not answering, the wait ends (see failPendingHeads). Once the head is in,
   * only the client or the connection ends the body.
   */
  async #untilHead<T>(
    clientSignal: AbortSignalLike | undefined,
    send: (signal: AbortSignalLike) => Promise<T>,
  ): Promise<T> {
    // One abort that the client's signal also fires (AbortSignal.any costs several times more).
    // A signal aborts once: no `once` option, which costs Node's EventTarget as much as the listener.
    const follow = () => frozen.abort(clientSignal!.reason)
    // Let go of the client's signal once the request is over: a long-lived one (a list cache's feed,
    // the name index) would otherwise gather a listener, and through it the whole request, per call.
    const release = () => clientSignal?.removeEventListener('abort', follow)
    const frozen = new OneShotAbort(release)
    let stoppedAnswering = false
    const fail = (reason: Error) => {
      stoppedAnswering = true
      frozen.abort(reason)
    }
    this.#waitingForHead.add(fail)
    if (clientSignal?.aborted) follow()
    else clientSignal?.addEventListener('abort', follow)
    try {
      const answer = await send(frozen)
      this.lastAnswerAt = performance.now()
      return answer
    } catch (error) {
      release()
      throw stoppedAnswering ? frozen.reason : error
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

  #tellWrites(path: string): void {
    for (const listener of this.writes) listener(path)
  }

  #tellAtEnd(response: Response, path: string): Response {
    const body = response.body!.pipeThrough(new TransformStream({ flush: () => this.#tellWrites(path) }))
    return new Response(body, response)
  }

  /**
   * Reads a short answer (a create's `{"Id": ...}`) whole before it goes on: a body the host cuts or
   * garbles then becomes a 502 naming the host on every runtime, never a 2xx head with a cut body
   * (Node) or a bare 500 (Bun, whose stream fails before @hono/node-server writes the head).
   */
  async whole(response: Response): Promise<Response> {
    // The host client read it whole already (an answer of known, small length): it goes on as it is.
    if (hasWholeBody(response)) return response
    try {
      const bytes = await response.arrayBuffer()
      // A 204 or 304 must be made with no body at all: an empty one throws on Node (undici).
      return new Response(NO_BODY_STATUS.has(response.status) ? null : bytes, response)
    } catch (error) {
      throw hostUnreachable(this.name, error)
    }
  }

  /** GET (or another method) answered with JSON; a non-2xx answer is thrown as the engine's error. */
  async json<T>(path: string, init: HostRequestInit & { method?: string } = {}): Promise<T> {
    const response = await this.#send(init.method ?? 'GET', path, { ...init, whole: true }, 'asked')
    const text = await textOf(response)
    if (!response.ok) throw new DockerError(response.status, engineMessage(text))
    return (text ? JSON.parse(text) : null) as T
  }

  /**
   * Sends an Upgrade request (attach, exec start, /session). When the engine switches protocols the
   * answer is the capability's splice order; any other answer (404 No such container) is returned.
   */
  async hijack(capability: HijackCapability, request: UpgradeRequest): Promise<Response> {
    let answer
    noteHost(request.signal, this.name, 'forwarded')
    try {
      answer = await this.#untilHead(
        request.signal,
        (signal) => this.#connection.upgrade({ ...request, signal }),
      )
    } catch (error) {
      throw hostUnreachable(this.name, error)
    }
    if (!answer.upgraded) return answer.response
    this.liveSessions++
    return capability.splice(answer.connection, () => {
      if (--this.liveSessions === 0) this.onSessionsEnded?.()
    })
  }

  /** The host left the flock: its kept-alive connections go (requests still running finish). */
  close(): void {
    this.#client?.close()
    this.#client = null
  }
}

/**
 * The abort of one host request (the client left, or the host stopped answering): what the host
 * clients read of an AbortSignal, without building an AbortController per request. `done` is called
 * when nothing listens any more (the host client removes its listener when the answer has ended) or
 * once it has aborted: the request is over.
 */
class OneShotAbort implements AbortSignalLike {
  aborted = false
  reason: unknown
  #listeners: (() => void)[] = []

  constructor(private readonly done: () => void) {}

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.push(listener)
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.#listeners.indexOf(listener)
    if (index < 0) return
    this.#listeners.splice(index, 1)
    if (this.#listeners.length === 0) this.done()
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    for (const listener of this.#listeners.splice(0)) listener()
    this.done()
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
