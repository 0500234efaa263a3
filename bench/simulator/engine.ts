/**
 * One simulated docker engine: answers as fast as it can from state in memory, so what a benchmark
 * measures is the proxy in front of it. Many of them share one process (bench/simulator/main.ts).
 *
 * Lists, inspect, top, image inspect, create/start/stop/wait/rm with events, and streams
 * (attach, exec, logs, export, cp download, image load) of a configurable size poured as fast as
 * the socket drains.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'

const CHUNK = Buffer.alloc(256 * 1024)
const IMAGE_ID = `sha256:${'ab'.repeat(32)}`
const NETWORK_ID = 'cd'.repeat(32)

export interface SimContainer {
  readonly Id: string
  Names: string[]
  readonly Image: string
  readonly ImageID: string
  readonly Command: string
  readonly Created: number
  readonly Ports: unknown[]
  readonly Labels: Record<string, string>
  State: string
  Status: string
  readonly HostConfig: { NetworkMode: string }
  readonly NetworkSettings: { Networks: Record<string, unknown> }
  readonly Mounts: unknown[]
}

export interface SimOptions {
  readonly name: string
  readonly containers: number
  /** Bytes every stream (attach, exec, logs, export, cp) carries. */
  streamBytes: number
}

let sequence = 0
const hex = (n: number, width = 64) => n.toString(16).padStart(width, '0')

export class SimEngine {
  readonly containers = new Map<string, SimContainer>()
  #byName = new Map<string, SimContainer>()
  /** The `all=1` list, serialised once per change: a real engine is fast at this too. */
  #listCache: Buffer | null = null
  #events = new Set<ServerResponse>()
  /** Requests answered so far, by `METHOD /path` (no version, no query): `GET /_sim/requests` tells them. */
  readonly requests = new Map<string, number>()
  #attached = new Map<string, Duplex>()
  #server: Server
  url = ''

  constructor(readonly options: SimOptions) {
    this.#server = createServer((req, res) => this.#answer(req, res))
    this.#server.keepAliveTimeout = 30_000
    this.#server.on('upgrade', (req, socket) => this.#upgrade(req, socket))
    for (let i = 0; i < options.containers; i++) this.add(`${options.name}-c${i}`)
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve))
    this.url = `tcp://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  stop(): Promise<void> {
    for (const res of this.#events) res.destroy()
    this.#server.closeAllConnections()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  add(name: string, state = 'running'): SimContainer {
    const n = ++sequence
    const container: SimContainer = {
      Id: randomBytes(32).toString('hex'),
      Names: [`/${name}`],
      Image: 'busybox:local',
      ImageID: IMAGE_ID,
      Command: 'sleep 3600',
      Created: 1_764_000_000 + n,
      Ports: [],
      Labels: { 'com.example.app': 'bench', 'com.example.n': String(n % 10) },
      State: state,
      Status: state === 'running' ? 'Up 5 minutes' : 'Created',
      HostConfig: { NetworkMode: 'none' },
      NetworkSettings: {
        Networks: {
          none: {
            IPAMConfig: null,
            Links: null,
            Aliases: null,
            NetworkID: NETWORK_ID,
            EndpointID: hex(n, 64),
            Gateway: '',
            IPAddress: '',
            IPPrefixLen: 0,
            IPv6Gateway: '',
            GlobalIPv6Address: '',
            GlobalIPv6PrefixLen: 0,
            MacAddress: '',
            DriverOpts: null,
          },
        },
      },
      Mounts: [],
    }
    this.containers.set(container.Id, container)
    this.#byName.set(name, container)
    this.#changed('create', container)
    return container
  }

  find(ref: string): SimContainer | undefined {
    const found = this.containers.get(ref) ?? this.#byName.get(ref.replace(/^\//, ''))
    if (found || ref.length < 1) return found
    for (const [id, container] of this.containers) if (id.startsWith(ref)) return container
    return undefined
  }

  #changed(action: string, container: SimContainer) {
    this.#listCache = null
    if (!this.#events.size) return
    const now = Date.now()
    const line = JSON.stringify({
      status: action,
      id: container.Id,
      from: container.Image,
      Type: 'container',
      Action: action,
      Actor: { ID: container.Id, Attributes: { image: container.Image, name: container.Names[0]!.slice(1) } },
      scope: 'local',
      time: Math.floor(now / 1000),
      timeNano: now * 1_000_000,
    }) + '\n'
    for (const res of this.#events) res.write(line)
  }

  #list(search: URLSearchParams): Buffer | string {
    const all = search.get('all') === '1' || search.get('all') === 'true'
    const limit = Number(search.get('limit') ?? -1)
    const filters = search.get('filters')
    if (all && limit <= 0 && !filters) {
      this.#listCache ??= Buffer.from(JSON.stringify(this.#sorted()))
      return this.#listCache
    }
    let list = this.#sorted().filter((c) => all || c.State === 'running')
    if (filters) {
      const parsed = JSON.parse(filters) as Record<string, Record<string, boolean> | string[]>
      const values = (key: string) => {
        const v = parsed[key]
        return v ? (Array.isArray(v) ? v : Object.keys(v)) : undefined
      }
      const names = values('name')
      const ids = values('id')
      if (names) list = list.filter((c) => names.some((n) => c.Names[0]!.slice(1).match(n)))
      if (ids) list = list.filter((c) => ids.some((id) => c.Id.startsWith(id)))
    }
    return JSON.stringify(limit > 0 ? list.slice(0, limit) : list)
  }

  #sorted(): SimContainer[] {
    return [...this.containers.values()].sort((a, b) => b.Created - a.Created)
  }

  #inspect(c: SimContainer) {
    return {
      Id: c.Id,
      Created: new Date(c.Created * 1000).toISOString(),
      Path: 'sleep',
      Args: ['3600'],
      State: {
        Status: c.State,
        Running: c.State === 'running',
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 4242,
        ExitCode: 0,
        Error: '',
        StartedAt: '2026-11-25T15:00:00.000000000Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Image: c.ImageID,
      Name: c.Names[0],
      RestartCount: 0,
      Driver: 'overlay2',
      Platform: 'linux',
      HostConfig: {
        NetworkMode: 'none',
        Memory: 0,
        NanoCpus: 0,
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      },
      Config: {
        Hostname: c.Id.slice(0, 12),
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['sleep', '3600'],
        Image: c.Image,
        Labels: c.Labels,
      },
      NetworkSettings: c.NetworkSettings,
      Mounts: [],
    }
  }

  #answer(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim')
    const path = url.pathname.replace(/^\/v[0-9.]+/, '')
    const method = req.method ?? 'GET'
    if (path === '/_sim/requests') return json(res, 200, Object.fromEntries(this.requests))
    const kind = `${method} ${path.replace(/^\/containers\/[^/]+\/(?!json$)/, '/containers/{id}/')}`
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1)
    if (method === 'POST' && path === '/images/load') return this.#load(req, res)
    req.resume()
    if (path === '/_ping') {
      res.writeHead(200, { 'API-Version': '1.41', OSType: 'linux', 'Content-Type': 'text/plain' })
      return res.end(method === 'HEAD' ? undefined : 'OK')
    }
    if (path === '/version') {
      return json(res, 200, { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux' })
    }
    if (path === '/info') return json(res, 200, this.#info())
    if (path === '/containers/json') return raw(res, 200, this.#list(url.searchParams))
    if (path === '/events') return this.#openEvents(res)
    if (path === '/images/json') return json(res, 200, [this.#image()])
    if (path === '/volumes') return json(res, 200, { Volumes: [], Warnings: null })
    if (path === '/networks') return json(res, 200, [])
    if (path === '/containers/create' && method === 'POST') return this.#create(url, res)
    const image = path.match(/^\/images\/(.+)\/json$/)
    if (image) {
      return decodeURIComponent(image[1]!).startsWith('busybox')
        ? json(res, 200, { ...this.#image(), Config: { Cmd: ['sh'], Env: [] } })
        : json(res, 404, { message: `No such image: ${image[1]}` })
    }
    const exec = path.match(/^\/exec\/([^/]+)\/json$/)
    if (exec) return json(res, 200, { ID: exec[1], Running: false, ExitCode: 0 })
    const match = path.match(/^\/containers\/([^/]+)(\/.*)?$/)
    if (!match) return json(res, 404, { message: 'page not found' })
    const container = this.find(decodeURIComponent(match[1]!))
    if (!container) return json(res, 404, { message: `No such container: ${match[1]}` })
    const action = `${method} ${match[2] ?? ''}`
    switch (action) {
      case 'GET /json':
        return json(res, 200, this.#inspect(container))
      case 'GET /top':
        return json(res, 200, {
          Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
          Processes: [['root', '4242', '4222', '0', '15:00', '?', '00:00:00', 'sleep 3600']],
        })
      case 'POST /start':
        return this.#start(container, res)
      case 'POST /stop':
      case 'POST /kill':
        container.State = 'exited'
        container.Status = 'Exited (0) 1 second ago'
        this.#changed('die', container)
        return res.writeHead(204).end()
      case 'POST /wait':
        return json(res, 200, { StatusCode: 0, Error: null })
      case 'DELETE ':
        this.containers.delete(container.Id)
        this.#byName.delete(container.Names[0]!.slice(1))
        this.#changed('destroy', container)
        return res.writeHead(204).end()
      case 'POST /exec':
        return json(res, 201, { Id: hex(++sequence) })
      case 'GET /logs':
        return this.#pour(res, 'application/vnd.docker.raw-stream')
      case 'GET /export':
        return this.#pour(res, 'application/x-tar')
      case 'GET /archive':
        res.setHeader(
          'X-Docker-Container-Path-Stat',
          Buffer.from(
            JSON.stringify({
              name: 'big',
              size: this.options.streamBytes,
              mode: 420,
              mtime: '2026-11-25T15:00:00Z',
              linkTarget: '',
            }),
          ).toString('base64'),
        )
        return this.#pour(res, 'application/x-tar')
    }
    json(res, 404, { message: `simulator: no ${method} ${path}` })
  }

  #create(url: URL, res: ServerResponse) {
    const name = url.searchParams.get('name') ?? `sim-${++sequence}`
    if (this.#byName.has(name)) {
      return json(res, 409, { message: `Conflict. The container name "/${name}" is already in use` })
    }
    json(res, 201, { Id: this.add(name, 'created').Id, Warnings: [] })
  }

  #start(container: SimContainer, res: ServerResponse) {
    container.State = 'running'
    container.Status = 'Up Less than a second'
    this.#changed('start', container)
    res.writeHead(204).end()
    const socket = this.#attached.get(container.Id)
    if (socket) {
      this.#attached.delete(container.Id)
      void pourRaw(socket, this.options.streamBytes)
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex) {
    socket.on('error', () => {})
    const path = (req.url ?? '').replace(/^\/v[0-9.]+/, '')
    socket.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n' +
        'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    )
    if (path.startsWith('/exec/')) return void pourRaw(socket, this.options.streamBytes)
    const id = path.match(/^\/containers\/([^/]+)\/attach/)?.[1]
    const container = id ? this.find(decodeURIComponent(id)) : undefined
    if (container) this.#attached.set(container.Id, socket)
    else socket.end()
  }

  #pour(res: ServerResponse, type: string) {
    res.writeHead(200, { 'Content-Type': type })
    void pourRaw(res, this.options.streamBytes)
  }

  #load(req: IncomingMessage, res: ServerResponse) {
    let bytes = 0
    req.on('data', (chunk: Buffer) => (bytes += chunk.byteLength))
    req.on('end', () => json(res, 200, { stream: `Loaded image: sim:${bytes}\n` }))
  }

  #image() {
    return {
      Id: IMAGE_ID,
      ParentId: '',
      RepoTags: ['busybox:local'],
      RepoDigests: [],
      Created: 1_764_000_000,
      Size: 1_200_000,
      VirtualSize: 1_200_000,
      SharedSize: -1,
      Labels: null,
      Containers: -1,
    }
  }

  #info() {
    const list = [...this.containers.values()]
    const running = list.filter((c) => c.State === 'running').length
    return {
      ID: `SIM:${this.options.name}`,
      Name: this.options.name,
      NCPU: 2,
      MemTotal: 8 << 30,
      Containers: list.length,
      ContainersRunning: running,
      ContainersPaused: 0,
      ContainersStopped: list.length - running,
      Images: 1,
      ServerVersion: '20.10.24',
      OperatingSystem: 'Simulated',
      OSType: 'linux',
      KernelVersion: '6.1.0',
      Driver: 'overlay2',
      Labels: [],
    }
  }

  #openEvents(res: ServerResponse) {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.flushHeaders()
    this.#events.add(res)
    res.on('close', () => this.#events.delete(res))
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  raw(res, status, JSON.stringify(body))
}

function raw(res: ServerResponse, status: number, body: string | Buffer) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

/** Writes `bytes` zeros as fast as the stream drains, then ends it. */
async function pourRaw(out: NodeJS.WritableStream & { destroyed?: boolean }, bytes: number): Promise<void> {
  let left = bytes
  while (left > 0 && !out.destroyed) {
    const chunk = left >= CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, left)
    left -= chunk.byteLength
    if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve))
  }
  out.end()
}
