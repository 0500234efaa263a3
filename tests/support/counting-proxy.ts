import { createServer, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** An HTTP proxy in front of one engine that records what it passes on and can refuse its events. */
export interface CountingProxy {
  /** `tcp://127.0.0.1:PORT`, as a `--node` URL. */
  readonly url: string
  /** Requests passed on since the last `take`, `GET /containers/json?all=1` (version prefix removed). */
  take(): string[]
  /** Refuses `/events` (a 500) and cuts the open streams: a host whose events cannot be followed. */
  refuseEvents(refuse: boolean): void
  close(): Promise<void>
}

export async function startCountingProxy(engineUrl: string): Promise<CountingProxy> {
  const target = new URL(engineUrl.replace(/^tcp:/, 'http:'))
  let requests: string[] = []
  let refusing = false
  const streams = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '')
    const events = path.startsWith('/events')
    if (events && refusing) return void res.writeHead(500).end('{"message":"events refused by the test"}')
    requests.push(`${req.method} ${path}`)
    if (events) {
      streams.add(res)
      res.on('close', () => streams.delete(res))
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        // An events stream's head, before any event: the follower counts the stream up from it.
        res.flushHeaders()
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    // A client gone mid-answer (an events stream cut): the engine's side goes too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take: () => {
      const taken = requests
      requests = []
      return taken
    },
    refuseEvents: (refuse) => {
      refusing = refuse
      if (refuse) { for (const stream of streams) stream.destroy() }
    },
    close: () =>
      new Promise((resolve) => {
        for (const stream of streams) stream.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
