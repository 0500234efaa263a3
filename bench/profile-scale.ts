/**
 * Where a cached `ps -a` over many simulated hosts spends its time: flocker answering from its list
 * cache against servers of the same runtime sending the very bytes it sent (node:http alone;
 * flocker's adapter), taking turns on keep-alive connections. Per answer: the time to its head and to
 * its last byte; per target: the CPU of the server, of the simulator and of this client.
 *
 *   node --import tsx bench/profile-scale.ts [--runtime=bun] [--hosts=500] [--requests=20] \
 *     [--rounds=4] [--cpu-prof=DIR] [--heap-prof=DIR] [--compare=CHECKOUT] [--bare=http,adapter]
 *
 * --cpu-prof, --heap-prof (Node and Bun): flocker runs under the runtime's profiler, written into DIR
 * when it stops (the heap profile: sampled allocations still alive then, by where they were made).
 * --compare: a flocker of that other checkout takes its turns too (its own src, this simulator).
 */
import { writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { Agent } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { freePort, type RuntimeName, scriptCommand, spawnUntilListening } from '../tests/support/flocker.ts'
import { type Target, targetOf, untilCached } from './http.ts'
import { memoryOf, servingProcess } from './memory.ts'
import { cpuSeconds, otherFlocker, type Served, startSimulator } from './procs.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const arg = (name: string, fallback = '') =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const runtime = arg('runtime', 'bun') as RuntimeName
const hosts = Number(arg('hosts', '500'))
const requests = Number(arg('requests', '20'))
const rounds = Number(arg('rounds', '4'))
const cpuProf = arg('cpu-prof')
const heapProf = arg('heap-prof')
const compare = arg('compare')
const bareModes = arg('bare', 'http,adapter').split(',').filter(Boolean)
const path = '/v1.41/containers/json?all=1'
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ')

interface Timing {
  head: number
  total: number
  bytes: number
}

/** One GET on `agent`: ms to the answer's head and to its last byte. */
function timedGet(target: Target, agent: Agent): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    request({ ...target, path, agent }, (res) => {
      const head = performance.now() - start
      let bytes = 0
      res.on('data', (chunk: Buffer) => (bytes += chunk.length))
      res.on('end', () => resolve({ head, total: performance.now() - start, bytes }))
      res.on('error', reject)
    }).on('error', reject).end()
  })
}

async function wholeBody(target: Target): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    request({ ...target, path, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve(Buffer.concat(chunks)))
    }).on('error', reject).end()
  })
}

async function bareBytes(file: string, mode: string): Promise<Served> {
  const port = await freePort()
  const [command, args] = scriptCommand(runtime, `${HERE}bare-bytes.ts`)
  const child = await spawnUntilListening(`bare bytes ${mode}`, command, [...args, String(port), file, mode])
  return { url: `tcp://127.0.0.1:${port}`, pid: servingProcess(child.process.pid!, port), stop: child.stop }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!

console.log(`${runtime}, ${hosts} hosts; load at start ${load()}`)
const sim = await startSimulator(hosts, 100)
const nodes = sim.urls.map((url, i) => `sim${i + 1}=${url}`)
const flags = [
  ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []),
  ...(heapProf ? ['--heap-prof', `--heap-prof-dir=${heapProf}`] : []),
]
const served: [string, Served][] = [[
  'flocker',
  await otherFlocker(runtime, ROOT, nodes, ['--list-cache=on'], flags),
]]
if (compare) {
  served.push([`flocker of ${compare}`, await otherFlocker(runtime, compare, nodes, ['--list-cache=on'])])
}
try {
  for (const [name, s] of served) {
    if (!await untilCached(targetOf(s.url), path, 'x-flocker-list', 180)) {
      throw new Error(`${name}: never cached`)
    }
  }
  const body = await wholeBody(targetOf(served[0]![1].url))
  const file = `/tmp/profile-scale-${process.pid}.json`
  writeFileSync(file, body)
  for (const mode of bareModes) served.push([`bare ${mode}, same bytes`, await bareBytes(file, mode)])
  console.log(`answer: ${body.length} bytes; flocker RSS ${memoryOf(served[0]![1].pid).rss.toFixed(0)} MiB`)
  // What a flocker of this many hosts spends with no request (health checks, timers): a share of
  // every figure's CPU below.
  const idle = served.map(([, s]) => cpuSeconds(s.pid))
  await new Promise((resolve) => setTimeout(resolve, 5000))
  served.forEach(([name, s], i) =>
    console.log(`  ${name}: idle CPU ${((cpuSeconds(s.pid) - idle[i]!) * 1000 / 5).toFixed(0)} ms/s`)
  )
  const times = served.map(() => [] as Timing[])
  const cpu = served.map(() => ({ server: 0, sim: 0, client: 0 }))
  const agents = served.map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  for (const [i, [, s]] of served.entries()) {
    for (let n = 0; n < 3; n++) await timedGet(targetOf(s.url), agents[i]!)
  }
  const measuring = performance.now()
  for (let round = 0; round < rounds; round++) {
    const order = served.map((_, i) => i)
    if (round % 2) order.reverse()
    for (const i of order) {
      const s = served[i]![1]
      const before = { server: cpuSeconds(s.pid), sim: cpuSeconds(sim.pid), client: process.cpuUsage() }
      for (let n = 0; n < Math.ceil(requests / rounds); n++) {
        times[i]!.push(await timedGet(targetOf(s.url), agents[i]!))
      }
      const client = process.cpuUsage(before.client)
      cpu[i]!.server += cpuSeconds(s.pid) - before.server
      cpu[i]!.sim += cpuSeconds(sim.pid) - before.sim
      cpu[i]!.client += (client.user + client.system) / 1e6
    }
  }
  agents.forEach((agent) => agent.destroy())
  // A profile's last this many seconds (before the stop) are the measured answers.
  console.log(`measured for ${((performance.now() - measuring) / 1000).toFixed(1)} s`)
  console.log(`load at end ${load()}; per answer, ms (CPU ms per answer: server / simulator / this client)`)
  for (const [i, [name, s]] of served.entries()) {
    const t = times[i]!
    const n = t.length
    const totals = t.map((x) => x.total)
    console.log(
      `  ${name.padEnd(36)} head p50 ${median(t.map((x) => x.head)).toFixed(1)}  total p50 ${
        median(totals).toFixed(1)
      } p99 ${p99(totals).toFixed(1)}  CPU ${(cpu[i]!.server * 1000 / n).toFixed(1)} / ${
        (cpu[i]!.sim * 1000 / n).toFixed(1)
      } / ${(cpu[i]!.client * 1000 / n).toFixed(1)}  RSS ${memoryOf(s.pid).rss.toFixed(0)} MiB`,
    )
    console.log(`    totals: ${totals.map((x) => x.toFixed(0)).join(' ')}`)
  }
} finally {
  await Promise.all(served.map(([, s]) => s.stop()))
  await sim.stop()
}
