/**
 * The replicas' scale figure (issue 13), apart from `npm run bench` and from `npm test`:
 *
 *   npm run bench:replicas [-- --hosts=500 --containers=100 --ps=9 --creates=60 --list-cache]
 *
 * Three replicas (Node, Bun, Deno, or FLOCKER_RUNTIMES in turn) sharing Redis behind HAProxy (TCP
 * mode), in front of HOSTS simulated engines of CONTAINERS containers each (bench/simulator, in a
 * process of its own). Prints, and writes to bench/results/replicas.md: `ps -a` p50/p90 through the
 * load balancer (each request on a new connection, so round robin spreads them over the replicas),
 * each replica's memory, and the store operations per named create (from each replica's /metrics).
 * Every figure carries the load average: the machine is shared.
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort, runtimes } from '../tests/support/flocker.ts'
import { type Replicas, startRedis, startReplicas } from '../tests/support/replicas.ts'
import { memoryOf, servingProcess } from './memory.ts'
import { startSimulator } from './procs.ts'

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '500' },
    containers: { type: 'string', default: '100' },
    ps: { type: 'string', default: '9' },
    creates: { type: 'string', default: '60' },
    'list-cache': { type: 'boolean', default: false },
  },
})
const HOSTS = Number(values.hosts)
const CONTAINERS = Number(values.containers)
const EXPECTED = HOSTS * CONTAINERS
const RESULTS = fileURLToPath(new URL('./results/replicas.md', import.meta.url))

const load = () => loadavg().map((n) => n.toFixed(1)).join(' ')
const lines: string[] = []
const say = (line: string) => {
  lines.push(line)
  console.log(line) // partial figures stay on screen if the run is cut short
}

/** One `ps -a` on a connection of its own; resolves with its rows and milliseconds. */
async function psAll(url: string): Promise<{ rows: number; ms: number }> {
  const start = performance.now()
  const response = await fetch(`${url.replace('tcp://', 'http://')}/v1.41/containers/json?all=1`, {
    headers: { connection: 'close' },
  })
  if (!response.ok) throw new Error(`ps -a: ${response.status} ${await response.text()}`)
  const rows = (await response.json() as unknown[]).length
  return { rows, ms: performance.now() - start }
}

/** Waits until a replica lists every simulated container (its hosts checked and answering). */
async function untilListed(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await psAll(url).catch(() => ({ rows: 0 }))).rows >= EXPECTED) return
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  throw new Error(`${url} never listed ${EXPECTED} containers`)
}

/** Store operations so far, summed over the replicas' /metrics. */
async function storeOperations(admins: readonly number[]): Promise<number> {
  let sum = 0
  for (const port of admins) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    sum += Number(/^flocker_store_operations_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN)
  }
  return sum
}

const started = Date.now()
say(`## Replicas at scale, ${new Date().toISOString()}`)
say('')
say(`- load average at start: ${load()} (2 cores shared with other work: figures are upper bounds)`)
const sim = await startSimulator(HOSTS, CONTAINERS)
const redis = await startRedis()
const list = runtimes()
const admins = await Promise.all([0, 1, 2].map(() => freePort()))
let set: Replicas | undefined
try {
  const nodes = sim.urls.map((url, i) => `--node=sim${i + 1}=${url}`)
  // One replica per runtime, each with its own admin listener (for /metrics).
  set = await startReplicasWithAdmins(nodes, `${redis.url}/0`)
  for (const replica of set.replicas) await untilListed(replica.dockerHost)
  say(
    `- ${HOSTS} simulated hosts × ${CONTAINERS} containers, 3 replicas (${
      set.replicas.map((r) => r.runtime).join(', ')
    }), Redis, HAProxy; list cache ${
      values['list-cache'] ? 'on' : 'off'
    }; every replica listed all ${EXPECTED} containers after ${((Date.now() - started) / 1000).toFixed(0)} s`,
  )
  for (let i = 0; i < 3; i++) await psAll(set.dockerHost) // one warm-up per replica
  const times: number[] = []
  for (let i = 0; i < Number(values.ps); i++) {
    const { rows, ms } = await psAll(set.dockerHost)
    if (rows !== EXPECTED) throw new Error(`ps -a listed ${rows} rows, not ${EXPECTED}`)
    times.push(ms)
    console.log(`  ps -a ${i + 1}: ${rows} rows in ${ms.toFixed(0)} ms`)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0)
  say(
    `- \`ps -a\` (${EXPECTED} rows) through the load balancer: p50 ${at(0.5)} ms, p90 ${
      at(0.9)
    } ms (${times.length} requests, load ${load()})`,
  )
  for (const replica of set.replicas) {
    const memory = memoryOf(servingProcess(replica.process.pid!, replica.port))
    say(
      `- replica on ${replica.runtime}: RSS ${memory.rss.toFixed(0)} MiB, peak ${memory.hwm.toFixed(0)} MiB`,
    )
  }
  const creates = Number(values.creates)
  const before = await storeOperations(admins)
  const statuses = await Promise.all(Array.from({ length: creates }, async (_, i) => {
    const response = await fetch(
      `${set!.dockerHost.replace('tcp://', 'http://')}/v1.41/containers/create?name=scale-${
        i % Math.ceil(creates / 2)
      }`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ Image: 'busybox:local' }),
      },
    )
    const text = await response.text()
    if (response.status !== 201 && response.status !== 409) {
      console.log(`  create: ${response.status} ${text}`)
    }
    return response.status
  }))
  const used = await storeOperations(admins) - before
  const count = (status: number) => statuses.filter((s) => s === status).length
  say(
    `- ${creates} concurrent named creates over ${Math.ceil(creates / 2)} names: ${count(201)} created, ${
      count(409)
    } refused 409, ${creates - count(201) - count(409)} other; ${
      (used / creates).toFixed(1)
    } store operations per create request (${used} in all)`,
  )
  say(`- took ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end: ${load()}`)
  writeFileSync(RESULTS, lines.join('\n') + '\n')
  console.log(`written to ${RESULTS}`)
} finally {
  await set?.stop()
  await redis.down()
  await sim.stop()
}

/** startReplicas with an admin listener per replica (the ports in `admins`, in order). */
function startReplicasWithAdmins(nodes: string[], store: string): Promise<Replicas> {
  const chosen = [0, 1, 2].map((i) => list[i % list.length]!)
  return startReplicas(chosen, [
    ...nodes,
    '--store',
    store,
    '--host-timeout',
    '30000',
    '--list-cache',
    values['list-cache'] ? 'on' : 'off',
  ], (i) => ['--admin', `tcp://127.0.0.1:${admins[i]}`])
}
