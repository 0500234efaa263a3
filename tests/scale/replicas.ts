/**
 * The replicas' scale figure (`npm run scale:replicas`, a few minutes; not part of npm test):
 * three replicas (Node, Bun, Deno) sharing Redis behind HAProxy, in front of HOSTS simulated engines
 * (bench/simulator, the performance work's, in a process of its own) of CONTAINERS containers each. Prints `ps -a` p50/p90 through the load balancer, each replica's
 * memory, and the store operations per create. Flags: --hosts=500 --containers=100 --ps=30 --creates=60
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runtimes, scriptCommand } from '../support/flocker.ts'
import { startRedis, startReplicas } from '../support/replicas.ts'

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '500' },
    containers: { type: 'string', default: '100' },
    ps: { type: 'string', default: '30' },
    creates: { type: 'string', default: '60' },
  },
})
const HOSTS = Number(values.hosts)
const CONTAINERS = Number(values.containers)

const [command, args] = scriptCommand(
  'node',
  new URL('../../bench/simulator/main.ts', import.meta.url).pathname,
)
const fakes = spawn(command, [...args, `--hosts=${HOSTS}`, `--containers=${CONTAINERS}`], {
  stdio: ['pipe', 'pipe', 'inherit'],
})
const engines = await new Promise<{ name: string; url: string }[]>((resolve) => {
  let out = ''
  fakes.stdout!.on('data', (chunk) => {
    out += chunk
    if (!out.includes('\n')) return
    const { urls } = JSON.parse(out.split('\n')[0]!) as { urls: string[] }
    resolve(urls.map((url, i) => ({ name: `sim${i + 1}`, url })))
  })
})
const dir = mkdtempSync(join(tmpdir(), 'flocker-scale-'))
const config = join(dir, 'flocker.json')
writeFileSync(
  config,
  JSON.stringify({ nodes: engines.map((e) => `${e.name}=${e.url}`), hostTimeout: 30_000 }),
)
const redis = await startRedis()
const list = runtimes()
const set = await startReplicas([0, 1, 2].map((i) => list[i % list.length]!), [
  '--config',
  config,
  '--store',
  `${redis.url}/0`,
])
const http = (path: string, init?: RequestInit) =>
  fetch(`${set.dockerHost.replace('tcp://', 'http://')}/v1.41${path}`, init)

try {
  // Every replica has checked its hosts once before it is measured.
  await new Promise((resolve) => setTimeout(resolve, 8_000))
  for (let i = 0; i < 3; i++) await (await http('/containers/json?all=1')).arrayBuffer() // warm-up
  const times: number[] = []
  let rows = 0
  for (let i = 0; i < Number(values.ps); i++) {
    const start = performance.now()
    const list = await (await http('/containers/json?all=1')).json() as unknown[]
    times.push(performance.now() - start)
    rows = list.length
    console.log(`ps -a ${i + 1}: ${rows} rows in ${times.at(-1)!.toFixed(0)} ms`) // partial figures if cut short
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0)
  console.log(`ps -a through the load balancer: ${rows} rows, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms`)
  for (const replica of set.replicas) {
    const status = readFileSync(`/proc/${replica.process.pid}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024
    const peak = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024
    console.log(`replica on ${replica.runtime}: RSS ${rss.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`)
  }
  const operations = async () => {
    let sum = 0
    for (const replica of set.replicas) {
      const info = await (await fetch(`${replica.dockerHost.replace('tcp://', 'http://')}/v1.41/info`)).json()
      const row = (info.SystemStatus as string[][]).find(([key]) => key?.includes('Operations'))
      sum += Number(row?.[1])
    }
    return sum
  }
  const creates = Number(values.creates)
  const before = await operations()
  const statuses = await Promise.all(Array.from({ length: creates }, async (_, i) => {
    const response = await http(`/containers/create?name=scale-${i % Math.ceil(creates / 2)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Image: 'busybox:local' }),
    })
    await response.arrayBuffer()
    return response.status
  }))
  const used = await operations() - before
  const created = statuses.filter((s) => s === 201).length
  console.log(
    `${creates} named creates (${created} created, ${statuses.filter((s) => s === 409).length} refused): ` +
      `${(used / creates).toFixed(1)} store operations per create`,
  )
} finally {
  await set.stop()
  await redis.down()
  fakes.kill()
}
