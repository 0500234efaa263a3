import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

/** A request as the fake engine received it. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: Buffer
}

export type FakeRoute = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | void
/** An Upgrade request (attach, exec start): the handler answers on the raw socket. */
export type FakeUpgrade = (req: IncomingMessage, socket: Duplex) => void

/**
 * A tiny stand-in for dockerd (unlike fake-engine.ts, not a whole engine) that records what flocker forwards: answers /info and /version for the
 * health check, then lets each test answer what it needs (return true when a route handled it).
 */
export interface RecordingEngine {
  readonly url: string
  readonly seen: Seen[]
  /** Every request's URL in arrival order, the health checks' and events streams' too. */
  readonly arrived: string[]
  route(handler: FakeRoute): void
  /** Answers Upgrade requests (without one, they are dropped). */
  upgrade(handler: FakeUpgrade): void
  close(): Promise<void>
}

export async function startRecordingEngine(): Promise<RecordingEngine> {
  const seen: Seen[] = []
  const arrived: string[] = []
  const routes: FakeRoute[] = []
  const server: Server = createServer((req, res) => {
    arrived.push(req.url ?? '')
    const chunks: Buffer[] = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0]
      if (path === '/info' || path === '/version') return answerFacts(res, path)
      // flocker's name index follows every host's container events: an idle stream, not recorded.
      if (path === '/events' && followsNames(req.url ?? '')) return void res.writeHead(200).flushHeaders()
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      for (const route of routes) if (route(req, res, body)) return
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ message: 'page not found' }))
    })
  })
  let upgrade: FakeUpgrade | undefined
  const upgraded = new Set<Duplex>()
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) })
    socket.on('error', () => {})
    if (upgrade) upgrade(req, socket)
    else socket.destroy()
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  )
  return {
    url: `tcp://127.0.0.1:${port}`,
    seen,
    arrived,
    route: (handler) => void routes.unshift(handler),
    upgrade: (handler) => void (upgrade = handler),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        for (const socket of upgraded) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Whether an /events request is the name index's (src/names/host-names.ts), not a client's. */
export function followsNames(url: string): boolean {
  const filters = new URL(url, 'http://engine').searchParams.get('filters') ?? ''
  return /"event":\["create","rename","destroy"[,\]]/.test(filters)
}

function answerFacts(res: ServerResponse, path: string) {
  const facts = path === '/info'
    ? {
      ID: 'FAKE:ID',
      Name: 'fake',
      NCPU: 1,
      MemTotal: 1 << 30,
      OperatingSystem: 'fake',
      OSType: 'linux',
      KernelVersion: '6',
      ServerVersion: '20.10.24',
      Driver: 'overlay2',
      Labels: [],
      Containers: 0,
      ContainersRunning: 0,
      Images: 0,
    }
    : { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64' }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(facts))
}
