import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A container as the fake engine lists it (the fields flocker reads). */
export interface FakeContainer {
  Id: string
  Names: string[]
  Created: number
  State: string
  Labels?: Record<string, string>
  HostConfig?: Record<string, unknown>
  /** Its inspect answers this status instead (404: dockerd lists a container a moment before it can inspect it). */
  inspectStatus?: number
}

/**
 * A tiny in-process docker engine for fault and scale tests: answers /_ping, /version, /info,
 * /containers/json, /containers/{id}/json, /containers/{id}/top, /images/{name}/json and /events,
 * with injectable delay and failure.
 */
export class FakeEngine {
  containers: FakeContainer[] = []
  /** Milliseconds before every answer. */
  delay = 0
  /** Never answer at all (a hung host). */
  hang = false
  /** Answer every request with this status (e.g. 500). */
  failWith: number | null = null
  apiVersion = '1.41'
  requests: string[] = []
  /** Answer `/events` with a 500 (an engine whose events cannot be followed). */
  refuseEvents = false
  /** Image references this engine holds (answered by `/images/{name}/json`). */
  images: string[] = []
  /** Each open /events stream and the path it asked (flocker's own followers ask with filters). */
  #events = new Map<ServerResponse, string>()
  #server: Server
  url = ''

  constructor(readonly name: string) {
    this.#server = createServer((req, res) => void this.#answer(req, res))
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `tcp://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    for (const res of this.#events.keys()) res.destroy()
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Sends an event to every connected /events stream. */
  emit(event: Record<string, unknown>): void {
    for (const res of this.#events.keys()) res.write(JSON.stringify(event) + '\n')
  }

  /** Drops every open /events stream (a host that restarts). */
  dropEvents(): void {
    for (const res of this.#events.keys()) res.destroy()
    this.#events.clear()
  }

  get eventStreams(): number {
    return this.#events.size
  }

  /** The paths of the open /events streams. */
  get eventStreamPaths(): string[] {
    return [...this.#events.values()]
  }

  add(id: string, name: string, created = Date.now() / 1000, state = 'running'): FakeContainer {
    const container = {
      Id: id.padEnd(64, '0'),
      Names: [`/${name}`],
      Created: Math.floor(created),
      State: state,
    }
    this.containers.push(container)
    // As dockerd tells a create: the name index (and the list cache) learn of it from this.
    this.emit({
      Type: 'container',
      Action: 'create',
      status: 'create',
      id: container.Id,
      Actor: { ID: container.Id, Attributes: { name } },
    })
    return container
  }

  async #answer(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = url.pathname.replace(/^\/v[0-9.]+/, '')
    this.requests.push(`${req.method} ${path}${url.search}`)
    if (this.hang) return
    if (this.delay) await new Promise((resolve) => setTimeout(resolve, this.delay))
    if (this.failWith) return json(res, this.failWith, { message: `fake ${this.name} fails` })
    if (path === '/_ping') {
      return res.writeHead(200, { 'API-Version': this.apiVersion, OSType: 'linux' }).end('OK')
    }
    if (path === '/version') {
      return json(res, 200, { Version: '20.10.24', ApiVersion: this.apiVersion, Os: 'linux' })
    }
    if (path === '/info') return json(res, 200, this.#info())
    if (path === '/containers/json') return json(res, 200, this.#list(url.searchParams))
    if (path === '/events') {
      if (this.refuseEvents) return json(res, 500, { message: `fake ${this.name}: no events` })
      return this.#openEvents(res, `${path}${url.search}`)
    }
    if (path === '/images/json') return json(res, 200, [{ Id: 'sha256:fake', RepoTags: ['busybox:local'] }])
    if (path === '/volumes') return json(res, 200, { Volumes: [] })
    if (req.method === 'POST' && path === '/containers/create') return this.#create(url.searchParams, res)
    const removed = req.method === 'DELETE' && path.match(/^\/containers\/([^/]+)$/)
    if (removed) return this.#remove(decodeURIComponent(removed[1]!), res)
    const inspect = path.match(/^\/containers\/([^/]+)\/json$/)
    if (inspect) {
      const container = this.find(decodeURIComponent(inspect[1]!))
      if (!container || container.inspectStatus) {
        return json(res, container?.inspectStatus ?? 404, { message: `No such container: ${inspect[1]}` })
      }
      return json(res, 200, {
        Id: container.Id,
        Name: container.Names[0],
        Config: { Labels: container.Labels ?? {} },
        HostConfig: container.HostConfig ?? {},
      })
    }
    // The body as the engine received it, in its one warning (dockerd answers `{"Warnings": []}`).
    if (req.method === 'POST' && /^\/containers\/[^/]+\/update$/.test(path)) {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      return json(res, 200, { Warnings: [Buffer.concat(chunks).toString()] })
    }
    // dockerd refuses a chunked start body, an empty one too (API 1.24 on).
    const start = req.method === 'POST' && path.match(/^\/containers\/([^/]+)\/start$/)
    if (start) {
      if (!this.find(decodeURIComponent(start[1]!))) {
        return json(res, 404, { message: `No such container: ${start[1]}` })
      }
      if (req.headers['transfer-encoding']) return json(res, 400, { message: 'non-empty request body' })
      return res.writeHead(204).end()
    }
    const top = path.match(/^\/containers\/([^/]+)\/top$/)
    if (top) {
      if (!this.find(decodeURIComponent(top[1]!))) {
        return json(res, 404, { message: `No such container: ${top[1]}` })
      }
      return json(res, 200, { Titles: ['PID', 'CMD'], Processes: [['1', 'sh']] })
    }
    const image = path.match(/^\/images\/(.+)\/json$/)
    if (image) {
      const ref = decodeURIComponent(image[1]!)
      if (!this.images.includes(ref)) return json(res, 404, { message: `No such image: ${ref}` })
      return json(res, 200, { Id: `sha256:${ref}`, RepoTags: [ref], Comment: this.name })
    }
    json(res, 404, { message: `page not found` })
  }

  /** A create: the name once per engine, as dockerd does. */
  #create(search: URLSearchParams, res: ServerResponse) {
    const name = search.get('name') ?? `fake_${this.containers.length}`
    if (this.find(name)) {
      return json(res, 409, { message: `Conflict. The container name "/${name}" is already in use` })
    }
    const id = Array.from({ length: 64 }, () => Math.floor(Math.random() * 16).toString(16)).join('')
    this.add(id, name, Date.now() / 1000, 'created')
    json(res, 201, { Id: id, Warnings: [] })
  }

  /** A removal: gone from the list, then told (`destroy`), then answered, as dockerd does. */
  #remove(ref: string, res: ServerResponse) {
    const container = this.find(ref)
    if (!container) return json(res, 404, { message: `No such container: ${ref}` })
    this.containers.splice(this.containers.indexOf(container), 1)
    const name = container.Names[0]!.slice(1)
    this.emit({
      Type: 'container',
      Action: 'destroy',
      id: container.Id,
      Actor: { ID: container.Id, Attributes: { name } },
    })
    res.writeHead(204).end()
  }

  find(ref: string): FakeContainer | undefined {
    return this.containers.find((c) => c.Id === ref || c.Names[0] === `/${ref}`) ??
      this.containers.find((c) => c.Id.startsWith(ref))
  }

  #info() {
    return {
      ID: `ID-${this.name}`,
      Name: this.name,
      NCPU: 2,
      MemTotal: 1024,
      Containers: this.containers.length,
      ContainersRunning: this.containers.filter((c) => c.State === 'running').length,
      Images: 1,
      ServerVersion: '20.10.24',
      OSType: 'linux',
      Labels: [`fake=${this.name}`],
    }
  }

  #list(search: URLSearchParams) {
    const all = search.get('all') === '1' || search.get('all') === 'true'
    const list = this.containers.filter((c) => all || c.State === 'running')
      .sort((a, b) => b.Created - a.Created)
    const limit = Number(search.get('limit') ?? -1)
    return limit > 0 ? list.slice(0, limit) : list
  }

  #openEvents(res: ServerResponse, path: string) {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.flushHeaders()
    this.#events.set(res, path)
    res.on('close', () => this.#events.delete(res))
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
}

/** Starts `count` fake engines named fake1..fakeN. */
export function startFakeEngines(count: number): Promise<FakeEngine[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => new FakeEngine(`fake${i + 1}`).start()))
}
