/**
 * CPU per small request, the figure load barely distorts: flocker (its command line, as users run it)
 * and the bare proxy in front of simulated engines, the same requests to each, CPU of each server
 * process from /proc (utime + stime) over every request. Wall-clock ratios on a shared 2-core machine
 * move with the load; CPU microseconds per request move far less.
 *
 *   node --import tsx bench/cpu.ts [--runtimes=node,bun,deno] [--requests=3000] [--hosts=3]
 *                                  [--flocker-args=--list-cache=on,...] [--paths=ID,image]
 */
import { loadavg } from 'node:os'
import type { RuntimeName } from '../tests/support/flocker.ts'
import { burstSeconds, call, latencySamples, targetOf } from './http.ts'
import { bareProxyOn, cpuSeconds, flockerOn, type Served, startSimulator } from './procs.ts'

const flags = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const runtimes = (flags.get('runtimes') ?? 'node').split(',') as RuntimeName[]
const requests = Number(flags.get('requests') ?? 3000)
const hostCount = Number(flags.get('hosts') ?? 3)
const extra = flags.get('flocker-args')?.split(',').filter(Boolean) ?? []
const only = flags.get('paths')?.split(',')

/** CPU µs per request of `served` for `count` requests (one connection, then 16). */
async function cpuPerRequest(served: Served, path: string, count: number) {
  const target = targetOf(served.url)
  await latencySamples(target, path, 50) // warm-up (the JIT, the owner caches)
  const before = cpuSeconds(served.pid)
  const started = performance.now()
  await latencySamples(target, path, count)
  const oneMs = performance.now() - started
  const middle = cpuSeconds(served.pid)
  const burstS = await burstSeconds(target, path, count, 16)
  const after = cpuSeconds(served.pid)
  return {
    one: ((middle - before) * 1e6) / (count + 20),
    sixteen: ((after - middle) * 1e6) / (count + 32),
    oneMs: oneMs / count,
    rps: count / burstS,
  }
}

const sim = await startSimulator(hostCount, 30)
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')
console.log(
  `load at start: ${load()}; ${requests} requests per figure; flocker args: ${extra.join(' ') || '-'}`,
)
try {
  const id = (JSON.parse(await call(targetOf(sim.urls[0]!), 'GET', '/v1.41/containers/sim1-c3/json')) as {
    Id: string
  }).Id
  const paths: Record<string, string> = {
    'inspect by ID': `/v1.41/containers/${id}/json`,
    'inspect by name': '/v1.41/containers/sim1-c3/json',
    'top by ID': `/v1.41/containers/${id}/top`,
    'image inspect by name': '/v1.41/images/busybox:local/json',
  }
  for (const runtime of runtimes) {
    const nodes = sim.urls.map((url, i) => `sim${i + 1}=${url}`)
    const flocker = await flockerOn(runtime, nodes, extra)
    const bare = await bareProxyOn(runtime, sim.urls[0]!)
    try {
      console.log(
        `\n${runtime}: CPU µs per request (1 conn / 16 conns), flocker vs bare; ms per request; req/s`,
      )
      for (const [label, path] of Object.entries(paths)) {
        if (only && !only.some((word) => label.includes(word))) continue
        const f = await cpuPerRequest(flocker, path, requests)
        const b = await cpuPerRequest(bare, path, requests)
        console.log(
          `${label.padEnd(22)} flocker ${f.one.toFixed(0)} / ${f.sixteen.toFixed(0)} µs, ` +
            `bare ${b.one.toFixed(0)} / ${b.sixteen.toFixed(0)} µs ` +
            `(×${(f.one / b.one).toFixed(2)} / ×${(f.sixteen / b.sixteen).toFixed(2)}); ` +
            `${f.oneMs.toFixed(3)} vs ${b.oneMs.toFixed(3)} ms; ${f.rps.toFixed(0)} vs ${
              b.rps.toFixed(0)
            } req/s`,
        )
      }
    } finally {
      await flocker.stop()
      await bare.stop()
    }
  }
} finally {
  await sim.stop()
  console.log(`\nload at end: ${load()}`)
}
