/**
 * One routed path (default `/containers/{id}/top`) in turns against engines already running: direct to
 * engine 1, the bare proxy in front of it, flocker from this tree and, with --base, flocker from another
 * tree (an A/B of a change), all on one runtime. Per round: `--requests` sequential GETs per target, one
 * keep-alive connection each, interleaved request by request (a slow engine answer such as /top's `ps`
 * drifts with the machine's load; interleaving gives each target the same drift), then `--concurrent`
 * GETs from 16 connections per target (req/s), the order rotating. p50/p99 over every round, and the
 * median of each request's difference to the bare proxy's request beside it. CPU per request of each
 * proxy from /proc. --prof starts this tree's flocker with `--cpu-prof` and `--cpu-prof-md` (Bun).
 *
 *   node --import tsx bench/routed-ab.ts --engines=tcp://127.0.0.1:P1,tcp://...:P2,... --container=ID
 *     [--path=/v1.41/containers/ID/top] [--runtime=bun] [--rounds=6] [--requests=60] [--concurrent=160]
 *     [--base=/tmp/base] [--prof=/tmp/prof-dir]
 *   node --import tsx bench/routed-ab.ts --simulated [...]    (3 simulated engines, container sim1-c0)
 */
import { Agent, request } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { RuntimeName } from '../tests/support/flocker.ts'
import { burstSeconds, latencyStats, type Target, targetOf } from './http.ts'
import { bareProxyOn, cpuSeconds, otherFlocker, type Served, startSimulator } from './procs.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '')
const { values } = parseArgs({
  options: {
    engines: { type: 'string' },
    simulated: { type: 'boolean', default: false },
    container: { type: 'string' },
    path: { type: 'string' },
    runtime: { type: 'string', default: 'bun' },
    rounds: { type: 'string', default: '6' },
    requests: { type: 'string', default: '60' },
    concurrent: { type: 'string', default: '160' },
    base: { type: 'string' },
    prof: { type: 'string' },
  },
})
const runtime = values.runtime as RuntimeName
// --simulated: three simulated engines of 30 containers (fast answers: what flocker's CPU per request is).
const simulator = values.simulated ? await startSimulator(3, 30) : null
const engines = simulator?.urls ?? values.engines!.split(',')
const nodes = engines.map((url, i) => `node${i + 1}=${url}`)
const path = values.path ?? `/v1.41/containers/${values.container ?? 'sim1-c0'}/top`
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')

interface Measured {
  readonly name: string
  readonly served: Served | null
  latencies: number[]
  burstS: number
  burstN: number
  cpuS: number
  requests: number
}

const profFlags = values.prof ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${values.prof}`] : []
const bare = await bareProxyOn(runtime, engines[0]!)
const flocker = await otherFlocker(runtime, ROOT, nodes, [], profFlags)
const base = values.base ? await otherFlocker(runtime, values.base, nodes) : null
const measured: Measured[] = [
  { name: 'direct', served: null },
  { name: 'bare', served: bare },
  { name: 'flocker', served: flocker },
  ...(base ? [{ name: 'base', served: base }] : []),
].map((m) => ({ ...m, latencies: [], burstS: 0, burstN: 0, cpuS: 0, requests: 0 }))

/** One GET on a keep-alive agent, body read: its latency in ms. */
function timedGet(target: Target, agent: Agent): Promise<number> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    request({ ...target, path, agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode}`))
      res.resume().on('end', () => resolve(performance.now() - start))
    }).on('error', reject).end()
  })
}

/** `count` GETs to each target, interleaved request by request, the order rotating. */
async function interleaved(targets: readonly Target[], count: number): Promise<number[][]> {
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  const times = targets.map(() => [] as number[])
  try {
    for (let i = 0; i < count + 20; i++) {
      for (let k = 0; k < targets.length; k++) {
        const t = (i + k) % targets.length
        const ms = await timedGet(targets[t]!, agents[t]!)
        if (i >= 20) times[t]!.push(ms) // the first 20 warm up
      }
    }
    return times
  } finally {
    agents.forEach((agent) => agent.destroy())
  }
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!

console.log(`${runtime} ${path}; load at start ${load()}`)
const requests = Number(values.requests)
const concurrent = Number(values.concurrent)
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const targets = measured.map((m) => targetOf(m.served?.url ?? engines[0]!))
    const cpuBefore = measured.map((m) => m.served ? cpuSeconds(m.served.pid) : 0)
    const times = await interleaved(targets, requests)
    measured.forEach((m, i) => m.latencies.push(...times[i]!))
    measured.forEach((m, i) => m.served && (m.cpuS += cpuSeconds(m.served.pid) - cpuBefore[i]!))
    const order = measured.map((_, i) => (i + round) % measured.length)
    for (const i of order) {
      const m = measured[i]!
      const cpuBefore = m.served ? cpuSeconds(m.served.pid) : 0
      m.burstS += await burstSeconds(targets[i]!, path, concurrent, 16)
      m.burstN += concurrent
      if (m.served) m.cpuS += cpuSeconds(m.served.pid) - cpuBefore
      m.requests += requests + 20 + concurrent + 32 // the warm-ups: 20 interleaved, 2 per burst connection
    }
  }
  const bareStats = latencyStats(measured[1]!.latencies)
  const bareRps = measured[1]!.burstN / measured[1]!.burstS
  for (const m of measured) {
    const s = latencyStats(m.latencies)
    const rps = m.burstN / m.burstS
    const cpu = m.served ? `${((m.cpuS / m.requests) * 1e6).toFixed(0)} µs CPU/request` : ''
    const diff = median(m.latencies.map((ms, i) => ms - measured[1]!.latencies[i]!))
    console.log(
      `${m.name.padEnd(8)} Δbare ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} ms  p50 ${s.p50.toFixed(2)} ms (×${
        (s.p50 / bareStats.p50).toFixed(2)
      } bare)  ` +
        `p99 ${s.p99.toFixed(2)} ms (×${(s.p99 / bareStats.p99).toFixed(2)})  ` +
        `16 clients ${rps.toFixed(0)}/s (×${(rps / bareRps).toFixed(2)})  ${cpu}`,
    )
  }
} finally {
  await Promise.all([bare.stop(), flocker.stop(), base?.stop(), simulator?.stop()])
  console.log(`load at end ${load()}`)
}
