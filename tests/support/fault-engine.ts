import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** How the fault engine misbehaves on a request it was told to break. */
export type Fault =
  /** Bytes that are not HTTP at all, then close. */
  | 'garbage'
  /** Half a response head, then close. */
  | 'close-mid-head'
  /** A good head with `Transfer-Encoding: chunked`, one chunk, then a chunk size that is not hex. */
  | 'broken-chunked'
  /** A good head with `Content-Length: 1000`, 10 bytes, then close. */
  | 'short-body'
  /** Takes the request and never answers (a frozen engine). */
  | 'hang'
  /** Resets the connection at once. */
  | 'reset'

/** A container the fault engine holds (its ID is `f` + the name, padded to 64 hex-like chars). */
export const faultContainerId = (name: string) => `f${Buffer.from(name).toString('hex')}`.padEnd(64, '0')

/**
 * A docker engine that breaks on purpose, for what a real engine cannot be made to do: answer
 * garbage, close mid-head, send a broken chunked body. Requests whose path matches a rule get its
 * fault; every other request gets a small healthy answer (enough for health checks, lists, an
 * inspect, logs, events and attach), so flocker keeps the host in the flock while a fault is tried.
 */
export class FaultEngine {
  /** Path (without version prefix) pattern -> fault. First match wins. */
  rules: { path: RegExp; fault: Fault }[] = []
  readonly containers = new Set<string>()
  /** Requests seen, `METHOD /path`. */
  readonly requests: string[] = []
  /** Requests whose path matches are answered by `write`, with bytes the test writes on the socket. */
  readonly scripted: { path: RegExp; write: (socket: Socket) => void }[] = []
  readonly #server: Server
  readonly #held = new Set<Socket>()
  url = ''

  constructor(readonly name: string) {
    this.#server = createServer((req, res) => this.#answer(req, res))
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket) => this.#upgrade(req, socket))
    this.#server.on('connection', (socket: Socket) => {
      this.#held.add(socket)
      socket.on('close', () => this.#held.delete(socket))
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `tcp://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    for (const socket of this.#held) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Breaks requests whose path matches `path` with `fault` (replacing an earlier rule for it). */
  breakPath(path: RegExp, fault: Fault): void {
    this.rules = [{ path, fault }, ...this.rules.filter((rule) => String(rule.path) !== String(path))]
  }

  heal(): void {
    this.rules = []
  }

  #faultFor(path: string): Fault | undefined {
    return this.rules.find((rule) => rule.path.test(path))?.fault
  }

  #answer(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fault')
    const path = url.pathname.replace(/^\/v[0-9.]+/, '')
    this.requests.push(`${req.method} ${path}`)
    req.resume()
    const fault = this.#faultFor(path)
    if (fault) return misbehave(fault, req.socket, res)
    const script = this.scripted.find((rule) => rule.path.test(path))
    if (script) return script.write(req.socket)
    if (path === '/_ping') return res.writeHead(200, { 'API-Version': '1.41', OSType: 'linux' }).end('OK')
    if (path === '/version') return json(res, 200, { Version: '20.10.24', ApiVersion: '1.41', Os: 'linux' })
    if (path === '/info') return json(res, 200, this.#info())
    if (path === '/containers/json') return json(res, 200, [...this.containers].map((n) => this.#summary(n)))
    if (path === '/images/json' || path === '/networks') return json(res, 200, [])
    if (path === '/volumes') return json(res, 200, { Volumes: [], Warnings: [] })
    if (path === '/events') {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      return res.flushHeaders()
    }
    const match = /^\/containers\/([^/]+)\/(json|logs)$/.exec(path)
    const name = match && this.#find(decodeURIComponent(match[1]!))
    if (match && name) {
      if (match[2] === 'json') return json(res, 200, this.#inspect(name))
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' })
      return res.end(`log line of ${name}\n`)
    }
    json(res, 404, { message: match ? `No such container: ${match[1]}` : 'page not found' })
  }

  #upgrade(req: IncomingMessage, socket: Socket) {
    const path = new URL(req.url ?? '/', 'http://fault').pathname.replace(/^\/v[0-9.]+/, '')
    this.requests.push(`${req.method} ${path}`)
    const fault = this.#faultFor(path)
    if (fault) return misbehave(fault, socket)
    socket.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n' +
        'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    )
    socket.pipe(socket) // an echo, like `cat` attached with a tty
  }

  #find(ref: string): string | undefined {
    return [...this.containers].find((name) => ref === name || faultContainerId(name).startsWith(ref))
  }

  #summary(name: string) {
    return { Id: faultContainerId(name), Names: [`/${name}`], Image: 'busybox', State: 'running', Labels: {} }
  }

  #inspect(name: string) {
    return {
      Id: faultContainerId(name),
      Name: `/${name}`,
      State: { Running: true },
      Config: { Labels: {}, Tty: true, OpenStdin: true },
      HostConfig: {},
    }
  }

  #info() {
    return {
      ID: `ID-${this.name}`,
      Name: this.name,
      NCPU: 2,
      MemTotal: 1 << 30,
      Containers: this.containers.size,
      Images: 0,
      ServerVersion: '20.10.24',
      OSType: 'linux',
    }
  }
}

function misbehave(fault: Fault, socket: Socket, res?: ServerResponse) {
  switch (fault) {
    case 'garbage':
      socket.end(Buffer.from('\x00\x01 this is not HTTP \xff\xfe\r\n\r\n{{{'))
      return
    case 'close-mid-head':
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: applica')
      return
    case 'broken-chunked':
      socket.end(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '5\r\n[{"Id\r\nzz-not-hex\r\n',
      )
      return
    case 'short-body':
      socket.end(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"Id":"ab',
      )
      return
    case 'reset':
      socket.resetAndDestroy?.() ?? socket.destroy()
      return
    case 'hang':
      res?.on('close', () => {})
      return
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
}
