/**
 * Where the time of a burst of named creates goes: flocker in this process in front of three real
 * engines (30 containers each, as in the placement bench), every request it sends to an engine
 * logged (method, path, host, start, end), the process's CPU per create, and the same burst sent to
 * engine 1 directly for comparison.
 *
 *   node --import tsx bench/trace-creates.ts [--creates=20] [--rounds=3] [--per-engine=30]
 *                                            [--flocker-args=list-cache]
 *
 * Prints, per round, the burst's wall time through flocker and direct, the upstream requests by kind
 * and host, and a timeline of one create (when its name check, placement read and create ran).
 */
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { IMAGE } from '../tests/support/docker.ts'
import { startEngines } from '../tests/support/engines.ts'
import { freePort } from '../tests/support/flocker.ts'
import { createFlocker } from '../src/app.ts'
import { Host } from '../src/flock/host.ts'
import { serve } from '../src/serve.ts'
import { call, targetOf } from './http.ts'

const flags = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const creates = Number(flags.get('creates') ?? 20)
const rounds = Number(flags.get('rounds') ?? 3)
const perEngine = Number(flags.get('per-engine') ?? 30)
const listCache = (flags.get('flocker-args') ?? '').includes('list-cache')
const profileTo = flags.get('profile')
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')

interface Traced {
  readonly host: string
  readonly method: string
  readonly path: string
  readonly start: number
  end: number
}

const log: Traced[] = []
let tracing = false
// Every request flocker sends goes through Host.request or Host.json.
for (const method of ['request', 'json'] as const) {
  const original = Host.prototype[method] as (...args: unknown[]) => Promise<unknown>
  ;(Host.prototype as unknown as Record<string, unknown>)[method] = function (
    this: Host,
    ...args: unknown[]
  ) {
    const [first, second] = args as [string, unknown]
    const verb = method === 'request' ? first : String((second as { method?: string })?.method ?? 'GET')
    const path = method === 'request' ? String(second) : first
    const entry: Traced = { host: this.name, method: verb, path, start: performance.now(), end: 0 }
    if (tracing) log.push(entry)
    const done = () => (entry.end = performance.now())
    const result = original.apply(this, args)
    result.then(done, done)
    return result
  }
}

/** What kind of request a path is, for the tally. */
function kindOf(method: string, path: string): string {
  const p = path.replace(/^\/v[\d.]+/, '').split('?')[0]!
  if (p === '/containers/create') return `${method} /containers/create`
  if (/^\/containers\/[^/]+\/json$/.test(p)) return `${method} /containers/{ref}/json`
  if (/^\/containers\/json$/.test(p)) return `${method} /containers/json`
  if (p === '/_ping' || p === '/info' || p === '/version') return `${method} ${p} (health)`
  if (/^\/events/.test(p)) return `${method} /events`
  return `${method} ${p}`
}

console.log(`load at start: ${load()}`)
const engines = await startEngines(3, {}, { registry: false })
try {
  const targets = engines.engines.map((e) => targetOf(e.url))
  await Promise.all(targets.map(async (engine, e) => {
    for (let i = 0; i < perEngine; i += 5) {
      await Promise.all(
        Array.from(
          { length: Math.min(5, perEngine - i) },
          (_, k) =>
            call(engine, 'POST', `/v1.41/containers/create?name=trace-e${e + 1}-${i + k}`, {
              Image: IMAGE,
              Cmd: ['sleep', '3600'],
              HostConfig: { NetworkMode: 'none' },
            }),
        ),
      )
    }
  }))
  const app = createFlocker({
    hosts: engines.engines.map((e) => ({ name: e.name, url: e.url })),
    listCache,
  })
  const port = await freePort()
  const arrivals: number[] = []
  const server = await serve({
    fetch: (request, env) => {
      if (tracing && request.method === 'POST') arrivals.push(performance.now())
      return app.fetch(request, env)
    },
  }, { listen: `tcp://127.0.0.1:${port}` })
  const flocker = { host: '127.0.0.1', port }
  await call(flocker, 'GET', '/v1.41/containers/json?all=1')
  await new Promise((resolve) => setTimeout(resolve, 1500)) // health checks and event streams settle
  try {
    for (let round = 0; round < rounds; round++) {
      for (const through of round % 2 ? [false, true] : [true, false]) {
        const target = through ? flocker : targets[0]!
        const names = Array.from({ length: creates }, (_, i) => `trace-${round}-${through ? 'f' : 'd'}-${i}`)
        log.length = 0
        arrivals.length = 0
        tracing = through
        const session = through && profileTo ? new Session() : undefined
        if (session) {
          session.connect()
          await session.post('Profiler.enable')
          await session.post('Profiler.setSamplingInterval', { interval: 200 })
          await session.post('Profiler.start')
        }
        const cpu = process.cpuUsage()
        const t0 = performance.now()
        const ends: number[] = []
        const ids = await Promise.all(names.map(async (name) => {
          const text = await call(target, 'POST', `/v1.41/containers/create?name=${name}`, {
            Image: IMAGE,
            Cmd: ['true'],
            HostConfig: { NetworkMode: 'none' },
          })
          ends.push(performance.now() - t0)
          return (JSON.parse(text) as { Id: string }).Id
        }))
        const wall = performance.now() - t0
        const used = process.cpuUsage(cpu)
        tracing = false
        if (session) {
          const { profile } = await session.post('Profiler.stop')
          writeFileSync(`${profileTo}.${round}.cpuprofile`, JSON.stringify(profile))
          session.disconnect()
        }
        console.log(
          `\nround ${round} ${through ? 'flocker' : 'direct '}: ${
            wall.toFixed(1)
          } ms for ${creates} creates; ` +
            `answers at ${ends.sort((a, b) => a - b).map((t) => t.toFixed(0)).join(' ')} ms; ` +
            `this process's CPU ${((used.user + used.system) / 1000).toFixed(0)} ms ` +
            `(${((used.user + used.system) / 1000 / creates).toFixed(1)} ms per create); load ${load()}`,
        )
        if (through) {
          console.log(`requests reached the app at ${arrivals.map((t) => (t - t0).toFixed(0)).join(' ')} ms`)
          report(t0)
        }
        await Promise.all(ids.map((id) => call(target, 'DELETE', `/v1.41/containers/${id}?force=1`)))
      }
    }
  } finally {
    await server.close()
    await app.close()
  }
} finally {
  await engines.down()
}

function report(t0: number) {
  const tally = new Map<
    string,
    { count: number; total: number; first: number; last: number; hosts: Set<string> }
  >()
  for (const entry of log) {
    const key = kindOf(entry.method, entry.path)
    const t = tally.get(key) ?? { count: 0, total: 0, first: Infinity, last: 0, hosts: new Set() }
    t.count++
    t.total += entry.end - entry.start
    t.first = Math.min(t.first, entry.start - t0)
    t.last = Math.max(t.last, entry.end - t0)
    t.hosts.add(entry.host)
    tally.set(key, t)
  }
  console.log('| upstream request | count | hosts | mean ms | first start | last end |')
  console.log('| --- | ---: | --- | ---: | ---: | ---: |')
  for (const [key, t] of [...tally].sort((a, b) => a[1].first - b[1].first)) {
    console.log(
      `| ${key} | ${t.count} | ${[...t.hosts].join(',')} | ${(t.total / t.count).toFixed(1)} | ` +
        `${t.first.toFixed(1)} | ${t.last.toFixed(1)} |`,
    )
  }
  const timeline = log.filter((e) => !/_ping|\/info|\/version|\/events/.test(e.path))
  console.log('timeline (ms from the burst start; host method path start-end):')
  for (const e of timeline.sort((a, b) => a.start - b.start)) {
    console.log(
      `  ${e.host} ${e.method} ${e.path.split('?')[0]} ${(e.start - t0).toFixed(1)}-${
        (e.end - t0).toFixed(1)
      }`,
    )
  }
}
