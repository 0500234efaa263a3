/**
 * Where a cached flock-wide list's time goes: one engine's own `ps -a`, flocker answering from its
 * list cache, and two servers of the same runtime answering the very bytes flocker sent (node:http
 * alone; Hono on @hono/node-server), measured in alternating rounds on one keep-alive connection.
 *
 *   node --import tsx bench/profile-lists.ts --nodes=node1=tcp://...,node2=...,node3=... \
 *     [--runtime=node] [--requests=400] [--warmup=300] [--cpu-prof=DIR] [--compare=CHECKOUT] [--inspect]
 *
 * --cpu-prof (Node only): flocker runs from dist/ (npm run build) under --cpu-prof into DIR, with the
 * heap flag the bin gives Node (`node dist/bin/flocker.js` skips the bin's first line, which adds it).
 * --inspect: a container inspect the list cache keeps (engine 1's first container), not `ps -a`.
 * --compare: a flocker of that other checkout (e.g. main) takes its turns too, so a change is judged
 * under the same load.
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { servingProcess } from './memory.ts'
import { cpuSeconds, flockerOn, otherFlocker, systemSeconds } from './procs.ts'
import { fileURLToPath } from 'node:url'
import { call, latencySamples, latencyStats, type Target, targetOf, untilCached } from './http.ts'
import {
  freePort,
  type RunningProcess,
  type RuntimeName,
  scriptCommand,
  spawnUntilListening,
  V8_FLAGS,
} from '../tests/support/flocker.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))
const arg = (name: string, fallback = '') =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const runtime = arg('runtime', 'node') as RuntimeName
const nodes = arg('nodes').split(',').filter(Boolean)
const requests = Number(arg('requests', '400'))
const profDir = arg('cpu-prof')
const warmup = Number(arg('warmup', '300'))
const compare = arg('compare')
const keptInspect = process.argv.includes('--inspect')
const cachedHeader = keptInspect ? 'x-flocker-inspect' : 'x-flocker-list'

async function flocker(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const flags = [...nodes.map((n) => `--node=${n}`), '--list-cache=on']
  if (!profDir) return await flockerOn(runtime, nodes, ['--list-cache=on'])
  const port = await freePort()
  const child = await spawnUntilListening('flocker', process.execPath, [
    ...V8_FLAGS,
    '--cpu-prof',
    `--cpu-prof-dir=${profDir}`,
    `${HERE}../dist/bin/flocker.js`,
    '-H',
    `tcp://127.0.0.1:${port}`,
    ...flags,
  ])
  return { url: `tcp://127.0.0.1:${port}`, pid: servingProcess(child.process.pid!, port), stop: child.stop }
}

async function bareBytes(file: string, mode: string): Promise<RunningProcess & { url: string; pid: number }> {
  const port = await freePort()
  const [command, args] = scriptCommand(runtime, `${HERE}bare-bytes.ts`)
  const child = await spawnUntilListening(`bare bytes ${mode}`, command, [...args, String(port), file, mode])
  return { ...child, url: `tcp://127.0.0.1:${port}`, pid: servingProcess(child.process.pid!, port) }
}

async function body(target: Target, path: string): Promise<{ bytes: Buffer; cached: boolean }> {
  const { request } = await import('node:http')
  return new Promise((resolve, reject) => {
    request({ ...target, path, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on(
        'end',
        () => resolve({ bytes: Buffer.concat(chunks), cached: res.headers[cachedHeader] === 'cached' }),
      )
    }).on('error', reject).end()
  })
}

const engine1 = targetOf(nodes[0]!.split('=')[1]!)
const path = keptInspect
  ? `/v1.41/containers/${await firstContainer(engine1)}/json`
  : '/v1.41/containers/json?all=1'
const served = await flocker()
const flockerTarget = targetOf(served.url)
let answer = await body(flockerTarget, path)
for (let tries = 0; tries < 100 && !answer.cached; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 100))
  answer = await body(flockerTarget, path)
}
if (!answer.cached) throw new Error('flocker never answered from its cache')
const file = `/tmp/profile-lists-${process.pid}.json`
writeFileSync(file, answer.bytes)
const bares = [await bareBytes(file, 'http'), await bareBytes(file, 'hono'), await bareBytes(file, 'adapter')]
const other = compare ? await otherFlocker(runtime, compare, nodes, ['--list-cache=on']) : undefined
const targets: [string, Target, number | undefined][] = [
  ['engine 1 (its 30)', engine1, undefined],
  ['flocker, cached (90)', flockerTarget, served.pid],
  [`bare ${runtime} node:http, same bytes`, targetOf(bares[0]!.url), bares[0]!.pid],
  [`bare ${runtime} hono/node-server, same bytes`, targetOf(bares[1]!.url), bares[1]!.pid],
  [`bare ${runtime} flocker's adapter, same bytes`, targetOf(bares[2]!.url), bares[2]!.pid],
  ...(other
    ? [[`flocker of ${compare}, cached`, targetOf(other.url), other.pid] as [string, Target, number]]
    : []),
]
try {
  if (other && !await untilCached(targetOf(other.url), path, cachedHeader, 30)) {
    throw new Error('never cached')
  }
  // The JIT settles first: a runtime compiles its hot paths over the first few hundred requests.
  for (const [, target] of targets) await latencySamples(target, path, warmup)
  const samples = targets.map(() => [] as number[])
  const cpu = targets.map(() => 0)
  const sys = targets.map(() => 0)
  const rounds = 4
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, i) => i)
    if (round % 2) order.reverse()
    for (const i of order) {
      const pid = targets[i]![2]
      const before = pid ? cpuSeconds(pid) : 0
      const sysBefore = pid ? systemSeconds(pid) : 0
      samples[i]!.push(...await latencySamples(targets[i]![1], path, Math.ceil(requests / rounds)))
      if (pid) cpu[i]! += cpuSeconds(pid) - before
      if (pid) sys[i]! += systemSeconds(pid) - sysBefore
    }
  }
  const engine = latencyStats(samples[0]!).p50
  const load = loadavg().map((l) => l.toFixed(2)).join(' ')
  console.log(`${runtime}: ${answer.bytes.length} bytes; load ${load}`)
  targets.forEach(([name], i) => {
    const { p50, p99 } = latencyStats(samples[i]!)
    // CPU: the serving process over the measured requests and their warm-up (20 per round).
    const perRequest = (seconds: number) => ((seconds * 1e6) / (samples[i]!.length + 20 * rounds)).toFixed(0)
    const us = cpu[i] ? `  CPU ${perRequest(cpu[i]!)} µs/req (kernel ${perRequest(sys[i]!)})` : ''
    console.log(
      `  ${name.padEnd(44)} p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  ×${
        (p50 / engine).toFixed(2)
      }${us}`,
    )
  })
} finally {
  await Promise.all([served.stop(), ...bares.map((b) => b.stop()), other?.stop()])
}

async function firstContainer(engine: Target): Promise<string> {
  const rows = JSON.parse(await call(engine, 'GET', '/v1.41/containers/json')) as { Id: string }[]
  return rows[0]!.Id
}
