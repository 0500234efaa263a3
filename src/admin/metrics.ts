import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Flock } from '../flock/flock.ts'
import type { FlockerObserver } from '../observe/observer.ts'
import type { StoreStatus } from '../store/coordination.ts'
import { sharedStore } from './status.ts'

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/** A metric's name and help text, for the README's list and the tests. */
export interface MetricInfo {
  readonly name: string
  readonly type: string
  readonly help: string
}

/**
 * flocker's Prometheus metrics (prom-client, in a registry of its own so that several apps in one
 * process do not collide). Counters and histograms are fed by the observer; per-host gauges are read
 * from the flock at each scrape, so they are never stale and hosts that left disappear.
 */
export function createMetrics(flock: Flock, store?: () => StoreStatus) {
  const registry = new Registry()
  const registers = [registry]
  const requests = new Counter({
    name: 'flocker_requests_total',
    help: 'Requests answered, by route kind, route template, method and status',
    labelNames: ['kind', 'route', 'method', 'status'],
    registers,
  })
  const duration = new Histogram({
    name: 'flocker_request_duration_seconds',
    help: 'Time from request to the last byte of the answer, by route kind and route template',
    labelNames: ['kind', 'route'],
    buckets: SECONDS,
    registers,
  })
  const bytes = new Counter({
    name: 'flocker_bytes_total',
    help: 'Bytes through flocker: direction="in" from clients, "out" to clients; stream="http" or "hijack"',
    labelNames: ['direction', 'stream'],
    registers,
  })
  const hijacksLive = new Gauge({
    name: 'flocker_hijacked_streams',
    help: 'Hijacked streams (attach, exec) open now',
    registers,
  })
  const hijacks = new Counter({
    name: 'flocker_hijacked_streams_total',
    help: 'Hijacked streams opened, by host',
    labelNames: ['host'],
    registers,
  })
  const missing = new Counter({
    name: 'flocker_view_missing_host_total',
    help: 'Merged answers (ps, images, ...) given without a host that was down or too slow',
    labelNames: ['route', 'host'],
    registers,
  })
  const placements = new Counter({
    name: 'flocker_placements_total',
    help: 'Scheduling decisions, by strategy, who decided (hook, pending-pull, scheduler) and outcome',
    labelNames: ['strategy', 'by', 'outcome', 'host'],
    registers,
  })
  const cache = new Counter({
    name: 'flocker_cache_lookups_total',
    help: 'Cache lookups (owners: which host holds a container), by cache and result',
    labelNames: ['cache', 'result'],
    registers,
  })
  const hostLatency = new Histogram({
    name: 'flocker_host_request_duration_seconds',
    help:
      'Time for a host to answer a request flocker sent it (to the response head), health checks included',
    labelNames: ['host'],
    buckets: SECONDS,
    registers,
  })
  const hostErrors = new Counter({
    name: 'flocker_host_request_errors_total',
    help: 'Requests to a host that got no answer (refused, reset, timed out)',
    labelNames: ['host'],
    registers,
  })
  const healthChanges = new Counter({
    name: 'flocker_host_health_changes_total',
    help: 'Health changes of a host, by the state it went to',
    labelNames: ['host', 'to'],
    registers,
  })
  const perHost = (name: string, help: string, labelNames: string[], read: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset()
        read(this)
      },
    })
  perHost('flocker_host_healthy', 'Whether a host is healthy (1), or unhealthy or not yet checked (0)', [
    'host',
    'address',
    'status',
  ], (g) => {
    for (const h of flock.all) {
      g.set({ host: h.name, address: h.address, status: h.status }, h.status === 'healthy' ? 1 : 0)
    }
  })
  perHost('flocker_host_consecutive_failures', 'Failed health checks in a row', ['host'], (g) => {
    for (const h of flock.all) g.set({ host: h.name }, h.consecutiveFailures)
  })
  perHost('flocker_host_containers', 'Containers on a host at its last check, by state (running, all)', [
    'host',
    'state',
  ], (g) => {
    for (const h of flock.all) {
      if (!h.facts) continue
      g.set({ host: h.name, state: 'running' }, h.facts.containersRunning)
      g.set({ host: h.name, state: 'all' }, h.facts.containers)
    }
  })
  perHost(
    'flocker_host_last_check_timestamp_seconds',
    'When a host was last checked (Unix time)',
    ['host'],
    (g) => {
      for (const h of flock.all) if (h.lastCheck) g.set({ host: h.name }, h.lastCheck.getTime() / 1000)
    },
  )
  perHost('flocker_hosts', 'Hosts in the flock, by status', ['status'], (g) => {
    for (const status of ['pending', 'healthy', 'unhealthy']) {
      g.set({ status }, flock.all.filter((h) => h.status === status).length)
    }
  })

  // The store the replicas share (with --store only): its state, and this replica's operations on it.
  const shared = () => (store ? sharedStore(store()) : null)
  new Gauge({
    name: 'flocker_store_up',
    help: 'Whether the store the replicas share answers (1) or not (0); absent without --store',
    labelNames: ['store', 'replica'],
    registers,
    collect() {
      this.reset()
      const status = shared()
      if (status) this.set({ store: status.store, replica: status.replica }, status.state === 'up' ? 1 : 0)
    },
  })
  new Counter({
    name: 'flocker_store_operations_total',
    help: 'Operations this replica sent to the shared store (claims, reads, writes, releases)',
    labelNames: ['store'],
    registers,
    collect() {
      this.reset()
      const status = shared()
      if (status) this.inc({ store: status.store }, status.operations)
    },
  })

  const observer: FlockerObserver = {
    request(r) {
      const route = r.route ?? 'unknown'
      requests.inc({ kind: r.kind, route, method: r.method, status: String(r.status) })
      duration.observe({ kind: r.kind, route }, r.durationMs / 1000)
      if (r.bytesIn) bytes.inc({ direction: 'in', stream: 'http' }, r.bytesIn)
      if (r.bytesOut) bytes.inc({ direction: 'out', stream: 'http' }, r.bytesOut)
    },
    hijackOpen(h) {
      hijacksLive.inc()
      hijacks.inc({ host: h.host })
    },
    hijackClose(h) {
      hijacksLive.dec()
      if (h.bytesIn) bytes.inc({ direction: 'in', stream: 'hijack' }, h.bytesIn)
      if (h.bytesOut) bytes.inc({ direction: 'out', stream: 'hijack' }, h.bytesOut)
    },
    viewMissingHost(m) {
      missing.inc({ route: m.route, host: m.host })
    },
    placement(p) {
      placements.inc({ strategy: p.strategy, by: p.by, outcome: p.outcome, host: p.host ?? '' })
    },
    cache(name, hit) {
      cache.inc({ cache: name, result: hit ? 'hit' : 'miss' })
    },
    hostCall(call) {
      if (call.status === null) hostErrors.inc({ host: call.host })
      else hostLatency.observe({ host: call.host }, call.durationMs / 1000)
    },
    health(change) {
      healthChanges.inc({ host: change.host, to: change.to })
    },
  }
  return {
    registry,
    observer,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    list: async (): Promise<MetricInfo[]> =>
      (await registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type), help: m.help })),
  }
}
