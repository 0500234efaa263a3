/**
 * The one small interface between flocker and the runtime it runs on (Node, Bun or Deno).
 * Everything outside src/runtime/ talks to sockets, files and the process through this.
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

/** A request to send to a host, with the body still streaming from the client. */
export interface OutgoingRequest {
  readonly method: string
  /** Path and query, e.g. `/v1.41/containers/json?all=1`. */
  readonly path: string
  readonly headers: Headers
  /** null means: send no body at all (not even `Content-Length: 0` unless the headers say so). */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null
  readonly signal?: AbortSignal
}

/** A raw byte connection to a host, used for hijacked (upgraded) requests. */
export interface RawConnection {
  write(bytes: Uint8Array): Promise<void>
  /** Next chunk, or null at end of stream. Only for reading the response head before a splice. */
  read(): Promise<Uint8Array | null>
  close(): void
}

/** What a fetch handler receives as `env` when the adapter serves it. */
export interface ServeEnv {
  /** Present on an Upgrade request: the client connection can be taken over. */
  readonly hijack?: HijackCapability
}

export interface HijackCapability {
  /** Marks `response` so that the adapter, instead of writing it, writes `head` raw and splices. */
  splice(upstream: RawConnection, head: Uint8Array): Response
}

export type FetchHandler = (request: Request, env: ServeEnv) => Response | Promise<Response>

export interface ServeOptions {
  /** Addresses to listen on, dockerd's syntax already parsed. */
  readonly listen: readonly Endpoint[]
  readonly onListen?: (address: string) => void
  readonly onError?: (error: unknown) => void
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

export interface RuntimeAdapter {
  readonly name: 'node' | 'bun' | 'deno'
  /** Serve `handler` over HTTP/1.1, Upgrade requests included (attach, exec, /session). */
  serve(handler: FetchHandler, options: ServeOptions): Promise<RunningServer>
  /** Send one HTTP request to a host; the answer streams, undecoded, with no idle timeout. */
  request(endpoint: Endpoint, request: OutgoingRequest): Promise<Response>
  /** Open a raw connection to a host, for a hijacked request. */
  dial(endpoint: Endpoint, signal?: AbortSignal): Promise<RawConnection>
  readonly platform: Platform
}

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
