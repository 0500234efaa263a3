/**
 * flocker's CPU per named create in a burst, the figure load barely distorts: flocker (its command
 * line) in front of simulated engines (30 containers each), bursts of named creates fired at once,
 * CPU of the flocker process from /proc over the bursts only (the removals between them not counted),
 * and the list reads (`GET /containers/json`, `/images/json`) the engines answered per burst.
 *
 *   node --import tsx bench/cpu-creates.ts [--runtimes=node,bun,deno] [--creates=20] [--rounds=10]
 *                                          [--hosts=3] [--compare=/path/to/other/checkout]
 *                                          [--profile=DIR]
 *
 * With --compare, a flocker of that other checkout is measured too, the two taking turns burst by
 * burst. With --profile (Node and Bun), this checkout's flocker runs from its source under the
 * runtime's CPU profiler and writes a .cpuprofile into DIR/RUNTIME at its exit, with bursts.json:
 * when each burst ran (CLOCK_MONOTONIC µs, then µs since the epoch); `bench/profile-creates.ts` reads them.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { RuntimeName } from '../tests/support/flocker.ts'
import { call, targetOf } from './http.ts'
import { cpuSeconds, flockerOn, otherFlocker, type Served, startSimulator } from './procs.ts'

const flags = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const runtimes = (flags.get('runtimes') ?? 'node').split(',') as RuntimeName[]
const creates = Number(flags.get('creates') ?? 20)
const rounds = Number(flags.get('rounds') ?? 10)
const hostCount = Number(flags.get('hosts') ?? 3)
const compare = flags.get('compare')
const profileDir = flags.get('profile')
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')

/** The list reads the simulated engines answered so far, all of them together. */
async function listReads(): Promise<number> {
  const counts = await Promise.all(
    sim.urls.map(async (url) =>
      JSON.parse(await call(targetOf(url), 'GET', '/_sim/requests')) as Record<string, number>
    ),
  )
  return counts.reduce((sum, c) => sum + (c['GET /containers/json'] ?? 0) + (c['GET /images/json'] ?? 0), 0)
}

/**
 * When each burst of the profiled flocker ran, on both clocks a profile may use: CLOCK_MONOTONIC µs
 * (Node's) and µs since the epoch (Bun's).
 */
const windows: [number, number, number, number][] = []
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)
const epochUs = () => (performance.timeOrigin + performance.now()) * 1000

/**
 * One burst of named creates through `served`: its CPU (s) and wall time (ms). The containers are then
 * removed on the engines directly, so flocker's CPU and profile hold only the bursts.
 */
async function burst(served: Served, tag: string): Promise<{ cpu: number; ms: number; reads: number }> {
  const target = targetOf(served.url)
  const readsBefore = await listReads()
  const before = cpuSeconds(served.pid)
  const from = monotonicUs()
  const fromEpoch = epochUs()
  const started = performance.now()
  const ids = await Promise.all(Array.from({ length: creates }, async (_, i) => {
    const text = await call(target, 'POST', `/v1.41/containers/create?name=${tag}-${i}`, {
      Image: 'busybox:local',
      Cmd: ['true'],
    })
    return (JSON.parse(text) as { Id: string }).Id
  }))
  const ms = performance.now() - started
  const cpu = cpuSeconds(served.pid) - before
  const reads = await listReads() - readsBefore
  if (served === profiled) windows.push([from, monotonicUs(), fromEpoch, epochUs()])
  for (const id of ids) {
    await Promise.all(
      sim.urls.map((url) => call(targetOf(url), 'DELETE', `/v1.41/containers/${id}`).catch(() => {})),
    )
  }
  return { cpu, ms, reads }
}

let profiled: Served | undefined
const sim = await startSimulator(hostCount, 30)
console.log(`load at start: ${load()}; ${rounds} bursts of ${creates} named creates over ${hostCount} hosts`)
try {
  const nodes = sim.urls.map((url, i) => `sim${i + 1}=${url}`)
  for (const runtime of runtimes) {
    if (profileDir) mkdirSync(`${profileDir}/${runtime}`, { recursive: true })
    const flags = ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${runtime}`]
    profiled = profileDir && runtime !== 'deno'
      ? await otherFlocker(runtime, ROOT, nodes, [], flags)
      : undefined
    const servers: [string, Served][] = [['flocker', profiled ?? await flockerOn(runtime, nodes)]]
    if (compare) servers.push(['compared', await otherFlocker(runtime, compare, nodes)])
    try {
      // Warm-up: the JIT, the name index's fill, the keep-alive sockets.
      for (const [name, served] of servers) await burst(served, `warm-${name}`)
      const sums = new Map<string, { cpu: number; ms: number[]; reads: number }>()
      for (let round = 0; round < rounds; round++) {
        for (const [name, served] of round % 2 ? [...servers].reverse() : servers) {
          const m = await burst(served, `r${round}-${name}`)
          const sum = sums.get(name) ?? { cpu: 0, ms: [], reads: 0 }
          sums.set(name, { cpu: sum.cpu + m.cpu, ms: [...sum.ms, m.ms], reads: sum.reads + m.reads })
        }
      }
      console.log(`\n${runtime}: CPU ms per create; burst wall time median; list reads per burst (all hosts)`)
      for (const [name, m] of sums) {
        const median = [...m.ms].sort((a, b) => a - b)[Math.floor(m.ms.length / 2)]!
        console.log(
          `${name.padEnd(9)} ${(m.cpu * 1000 / (rounds * creates)).toFixed(2)} ms per create; ` +
            `burst ${median.toFixed(0)} ms; ${(m.reads / rounds).toFixed(1)} list reads`,
        )
      }
    } finally {
      for (const [, served] of servers) await served.stop()
      if (profiled) writeFileSync(`${profileDir}/${runtime}/bursts.json`, JSON.stringify(windows.splice(0)))
    }
  }
} finally {
  await sim.stop()
  console.log(`\nload at end: ${load()}`)
}
