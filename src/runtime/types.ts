/**
 * The one small interface between flocker and the runtime it runs on (Node, Bun or Deno), in three
 * parts: serving (inbound HTTP/1.1 with hijack), the host transport (requests and upgrades to docker
 * hosts) and process services. Everything outside src/runtime/ reaches sockets, files and the process
 * through this, and nothing outside it asks which runtime it is on.
 */

/** Where a docker host (or flocker itself) is reached. */
export type Endpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls?: TlsFiles }
  | { readonly kind: 'unix'; readonly path: string; readonly tls?: undefined }

/** PEM contents (not paths) for a TLS connection, docker's ca.pem/cert.pem/key.pem. */
export interface TlsFiles {
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
  /** Skip verifying the server certificate (docker's --tls without --tlsverify). */
  readonly insecure?: boolean
}

// ---- Serving (inbound) ----

/** What a fetch handler receives as `env` when the adapter serves it. */
export interface ServeEnv {
  /** Present on an Upgrade request: the client connection can be taken over. */
  readonly hijack?: HijackCapability
  /** What the server knows of the connection the request came on (absent when called in-process). */
  readonly client?: ClientConnection
  /**
   * The request's body as the server reads it off the connection, for a body read whole (JSON the
   * front door judges): on node:http, `request.body` first builds a full Request and a web stream
   * over the same bytes. Absent (in-process calls, hijacks): read `request.body`.
   */
  readonly bodyChunks?: AsyncIterable<Uint8Array>
  /**
   * The body of `request` (the app's, maybe replaced by middleware) as a stream the host transport may
   * pipe from the connection natively when nothing else reads it (uploads: load, `cp` in, build;
   * runtime/pass-through.ts). Undefined when it is not the served request's own unread body, or absent
   * (in-process calls): send `request.body`.
   */
  readonly passableBody?: (request: Request) => ReadableStream<Uint8Array> | undefined
}

export interface ClientConnection {
  /** The peer's address (`127.0.0.1`), or `unix` on a unix socket. */
  readonly address?: string
  readonly port?: number
  /** The CN of the client certificate, when the listener verified one (`--tlsverify`). */
  readonly certificateName?: string
  /** The request target exactly as sent, before URL parsing normalised it (`/v1.41/../x`). */
  readonly target?: string
}

export interface HijackCapability {
  /**
   * Orders the adapter to write the engine's 101 head to the client and join the two connections.
   * The order is kept for this request (not on the Response, which middleware may replace): the
   * returned placeholder may be wrapped or re-created on its way out. If the app finally answers
   * with an error status instead, or the client is gone, the engine connection is closed.
   * `onClose` is told the bytes each way (client to engine, engine to client) once both ends closed,
   * or (0, 0) when the order is not carried out (an error answer instead, the client gone).
   */
  splice(upstream: UpgradedConnection, onClose?: SpliceClosed): Response
}

export type SpliceClosed = (bytesIn: number, bytesOut: number) => void

export type FetchHandler = (request: Request, env: ServeEnv) => Response | Promise<Response>

/** A `(req, res)` listener for a node:http server the user made (the original flocker's handle()). */
export type NodeRequestListener = (req: unknown, res: unknown) => Promise<void>

export interface ListenOptions {
  /** Addresses to listen on, dockerd's syntax already parsed. */
  readonly listen: readonly Endpoint[]
  /** Serve the tcp addresses over TLS (dockerd's --tls, --tlsverify). */
  readonly tls?: ListenTls
  /** Unix sockets: file mode (default 0o660) and owning group id (dockerd's -G). */
  readonly socketMode?: number
  readonly socketGroup?: number
  /** Open client connections at most (all addresses together); more are closed at once. */
  readonly maxConnections?: number
  /** An Upgrade request's body at most (exec start sends a few bytes): more is refused unread. */
  readonly maxUpgradeBody?: number
  /**
   * How long a request's head may take to arrive, and an Upgrade request's small body (ms, default
   * 60 s): a slow-loris client is closed. Bodies of plain requests are the app's (the front door's
   * idle timeout for JSON; streams have none).
   */
  readonly headTimeout?: number
  readonly onListen?: (address: string) => void
  readonly onError?: (error: unknown) => void
}

/** PEM contents of the listener's certificate, and of the CA that signs client certificates. */
export interface ListenTls {
  readonly cert: string
  readonly key: string
  readonly ca?: string
  /** Require a client certificate signed by `ca` (dockerd's --tlsverify). */
  readonly verifyClients: boolean
}

export interface RunningServer {
  /** Bound addresses, e.g. `tcp://127.0.0.1:2375` (with the real port when 0 was asked for). */
  readonly addresses: readonly string[]
  close(): Promise<void>
  /**
   * Stops accepting; plain requests are let finish, streams and hijacked connections get `grace` ms
   * to end and are then closed.
   */
  shutdown(grace: number): Promise<void>
}

export interface Serving {
  /** Serve `handler` over HTTP/1.1, Upgrade requests included (attach, exec, /session). */
  serve(handler: FetchHandler, options: ListenOptions): Promise<RunningServer>
  /**
   * `handler` as a listener for the user's own node:http server. Upgrade requests are hijacked where
   * the runtime lets a request handler take the socket (Node); elsewhere they get a 501.
   */
  requestListener(handler: FetchHandler): NodeRequestListener
}

// ---- Host transport (outbound) ----

/** A request to send to a host, with the body still streaming from the client. */
export interface HostRequest {
  readonly method: string
  /** Path and query, e.g. `/v1.41/containers/json?all=1`. */
  readonly path: string
  readonly headers: Headers
  /** null means: send no body at all (not even `Content-Length: 0` unless the headers say so). */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null
  /** Aborts the request; for an upgrade, also the dial and the wait for the answer head. */
  readonly signal?: AbortSignalLike
  /**
   * The caller reads the whole answer (a lookup, a list to merge): it comes as bytes whatever its
   * framing (dockerd chunks anything over 4 KiB), with no stream built to be read at once.
   */
  readonly whole?: boolean
  /**
   * A download flocker passes on untouched (logs, export, `cp`, save: the route table says which): the
   * transport may keep the engine's framing of the body, for the serving adapter to forward as it is.
   * Whoever reads the body still gets its bytes.
   */
  readonly download?: boolean
}

/**
 * What a host client reads of a request's abort: an AbortSignal, or a lighter one-shot stand-in
 * (Node 20 spends about 9 µs building each AbortController, and every host request needs one).
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** An Upgrade request (attach, exec start, /session): its small body is already read. */
export interface UpgradeRequest extends HostRequest {
  readonly body: Uint8Array | null
}

/** The engine switched protocols: a raw duplex to splice, held until spliced or closed. */
export interface UpgradedConnection {
  close(): void
}

/** The engine's answer to an Upgrade request: switched (101), or an ordinary answer (404, 409...). */
export type UpgradeAnswer =
  | { readonly upgraded: true; readonly connection: UpgradedConnection }
  | { readonly upgraded: false; readonly response: Response }

export interface HostClientOptions {
  /** How long an upgrade may take, from dial to the engine's answer head (ms, default 30 s). */
  readonly upgradeTimeout?: number
  /** How long a kept-alive connection may stay idle before it is closed (ms, default 5 s). */
  readonly idleTimeout?: number
}

/** The way to one docker host; owns its keep-alive connections until close(). */
export interface HostClient {
  /** One HTTP request; the answer streams, undecoded, with no idle timeout. */
  request(request: HostRequest): Promise<Response>
  /** The hijack handshake on a connection of its own. */
  upgrade(request: UpgradeRequest): Promise<UpgradeAnswer>
  /** Drops the kept-alive connections (requests still running finish first). */
  close(): void
}

export interface HostTransport {
  connect(endpoint: Endpoint, options?: HostClientOptions): HostClient
}

// ---- Process services ----

/** Process-level services the CLI and the file inventory need. */
export interface Platform {
  args(): string[]
  env(name: string): string | undefined
  exit(code: number): never
  readTextFile(path: string): Promise<string>
  /** Calls `onChange` when the file changes; returns a function that stops watching. */
  watchFile(path: string, onChange: () => void): () => void
  onShutdown(handler: () => void | Promise<void>): void
  stderr(line: string): void
  stdout(line: string): void
}

export interface RuntimeAdapter extends Serving, HostTransport {
  /** For messages (`flocker 0.1.0 on bun listening on ...`). */
  readonly name: 'node' | 'bun' | 'deno'
  readonly platform: Platform
}
