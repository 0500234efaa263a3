import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { FlockerApp } from '../app.ts'
import { DockerError } from '../docker/errors.ts'
import { checkHostHeader } from '../front-door/host-header.ts'
import { checkOrigin } from '../front-door/origin.ts'
import { createMetrics } from './metrics.ts'
import { PAGE } from './page.ts'
import { Recent } from './recent.ts'
import { hostStatus, type ReloadState, Reservations, sharedStore, type StatusJson } from './status.ts'

export interface AdminOptions {
  /** The config file's last (re)load, when flocker runs from one. */
  readonly reload?: () => ReloadState | undefined
  /** `node 20.20.0`, for /status. */
  readonly runtime?: string
  readonly version?: string
  /** How often the live page gets a fresh status (ms). */
  readonly refresh?: number
  /** Names the admin listener is reached by, besides loopback names (the front door's `allowedHosts`). */
  readonly allowedHosts?: readonly string[]
}

/**
 * The admin listener's app, apart from the Docker API: `/metrics` (Prometheus text), `/status` (JSON),
 * `/status/stream` (the same as server-sent events) and `/` (the live page). It watches `flocker`
 * through its observer interface; `close()` stops watching.
 */
export function createAdminApp(flocker: FlockerApp, options: AdminOptions = {}) {
  const metrics = createMetrics(flocker.flock, () => flocker.storeStatus())
  const recent = new Recent()
  const reservations = new Reservations(flocker.flock, 5_000)
  const unsubscribe = [flocker.observe(metrics.observer), flocker.observe(recent.observer)]
  const started = new Date().toISOString()
  const status = (): StatusJson => ({
    flocker: { version: options.version ?? '', runtime: options.runtime ?? '', started },
    config: options.reload?.() ?? null,
    store: sharedStore(flocker.storeStatus()),
    hosts: flocker.flock.all.map((host) => hostStatus(host, reservations)),
    recent: { placements: recent.placements, errors: recent.errors },
  })

  const app = new Hono()
  // Status and metrics name every host and its address: a web page (cross-site, or through DNS
  // rebinding) must not read them, as it may not reach the Docker API.
  app.use(async (c, next) => {
    try {
      checkOrigin(c.req.raw.headers, { allowedOrigins: [] })
      checkHostHeader(c.req.raw.headers, { allowedHosts: options.allowedHosts ?? [] })
    } catch (error) {
      if (!(error instanceof DockerError)) throw error
      return c.json({ message: error.message }, error.status as 403)
    }
    await next()
  })
  app.get('/', (c) => c.html(PAGE))
  app.get('/metrics', async (c) => c.body(await metrics.text(), 200, { 'content-type': metrics.contentType }))
  app.get('/status', async (c) => {
    status()
    await reservations.settled()
    return c.json(status())
  })
  app.get('/status/stream', (c) =>
    streamSSE(c, async (stream) => {
      let open = true
      stream.onAbort(() => {
        open = false
      })
      while (open) {
        await stream.writeSSE({ data: JSON.stringify(status()) })
        await stream.sleep(options.refresh ?? 1_000)
      }
    }))
  app.notFound((c) => c.json({ message: 'page not found' }, 404))
  return Object.assign(app, {
    recent,
    metrics,
    close: () => unsubscribe.forEach((stop) => stop()),
  })
}
