/**
 * One exec transfer's phases on a real engine: direct, through the bare proxy and through flocker
 * (and a second flocker tree with --base, for an A/B), taking turns in rotating rounds. Per transfer:
 * the exec create's answer, the start's 101 head, the first and last stream bytes and the EOF, each
 * in ms from the start request's write, and the proxy's CPU ms per transfer (create + start, /proc).
 *
 *   node --import tsx bench/exec-phases.ts --nodes=tcp://127.0.0.1:P1,tcp://...:P2,... \
 *     [--runtimes=node,bun,deno] [--bytes=1,31457280] [--rounds=5] [--per-turn=3] [--base=/tmp/base]
 *     [--engine-pid=PID]
 *
 * The first node is engine 1: the exec runs in a container started there, the bare proxy fronts it,
 * flocker fronts every node. Medians over the rounds; the load average is printed beside each table.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { RuntimeName } from '../tests/support/flocker.ts'
import { call, type Target, targetOf } from './http.ts'
import { median } from './parts/real.ts'
import { bareProxyOn, cpuSeconds, flockerOn, otherFlocker, type Served } from './procs.ts'
import { createExec, startExec } from './streams.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string' },
    runtimes: { type: 'string', default: 'node,bun,deno' },
    bytes: { type: 'string', default: `1,${30 * 1024 * 1024}` },
    rounds: { type: 'string', default: '5' },
    'per-turn': { type: 'string', default: '3' },
    base: { type: 'string' },
    /** engine 1's dockerd (FLOCK_DIR/n1/pid): its CPU ms per exec too, for each target. */
    'engine-pid': { type: 'string' },
  },
})
if (!values.nodes) throw new Error('--nodes=URL,URL,... (scripts/local-flock.sh nodes) is required')
const nodes = values.nodes.split(',').map((url, i) => `node${i + 1}=${url}`)
const engine1 = targetOf(values.nodes.split(',')[0]!)
const sizes = values.bytes.split(',').map(Number)
const rounds = Number(values.rounds)
const perTurn = Number(values['per-turn'])
const enginePid = Number(values['engine-pid'] ?? 0)

/** Milliseconds of one exec, each phase from the start request's write (create: its own duration). */
interface Phases {
  create: number
  head: number
  first: number
  last: number
  eof: number
  bytes: number
}

async function execPhases(target: Target, container: string, bytes: number): Promise<Phases> {
  const createdAt = performance.now()
  const id = await createExec(target, container, ['head', '-c', String(bytes), '/dev/zero'])
  const create = performance.now() - createdAt
  const { socket, start } = await startExec(target, id)
  const at = { head: 0, first: 0, last: 0 }
  let received = 0
  let pending: Buffer | null = Buffer.alloc(0)
  const count = (n: number) => {
    if (!n) return
    const now = performance.now() - start
    if (!received) at.first = now
    at.last = now
    received += n
  }
  const eof = await new Promise<number>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      if (!pending) return count(chunk.byteLength)
      pending = Buffer.concat([pending, chunk])
      const end = pending.indexOf('\r\n\r\n')
      if (end < 0) return
      if (!pending.subarray(0, 12).toString().includes('101')) return reject(new Error(pending.toString()))
      at.head = performance.now() - start
      const rest = pending.byteLength - end - 4
      pending = null
      count(rest)
    })
    socket.on('end', () => resolve(performance.now() - start))
    socket.on('error', reject)
  })
  socket.destroy()
  return { create, ...at, eof, bytes: received }
}

interface Contender {
  readonly label: string
  readonly target: Target
  readonly pid: number
}

async function main() {
  const running = JSON.parse(
    await call(engine1, 'POST', '/v1.41/containers/create', {
      Image: 'busybox:local',
      Cmd: ['sleep', '3600'],
      HostConfig: { NetworkMode: 'none' },
    }),
  ).Id as string
  await call(engine1, 'POST', `/v1.41/containers/${running}/start`)
  try {
    for (const runtime of values.runtimes.split(',') as RuntimeName[]) await measure(runtime, running)
  } finally {
    await call(engine1, 'DELETE', `/v1.41/containers/${running}?force=1`)
  }
}

async function measure(runtime: RuntimeName, container: string) {
  const served: Served[] = [
    await bareProxyOn(runtime, values.nodes!.split(',')[0]!),
    await flockerOn(runtime, nodes),
  ]
  if (values.base) served.push(await otherFlocker(runtime, values.base, nodes))
  const labels = ['bare', 'flocker', 'base']
  const contenders: Contender[] = [
    { label: 'direct', target: engine1, pid: 0 },
    ...served.map((s, i) => ({ label: labels[i]!, target: targetOf(s.url), pid: s.pid })),
  ]
  try {
    // Warm-up: every path compiled, flocker's owner cache holding the container.
    for (const c of contenders) for (const bytes of sizes) await execPhases(c.target, container, bytes)
    const load = loadavg()[0]!.toFixed(1)
    for (const bytes of sizes) {
      const samples = new Map<string, Phases[]>(contenders.map((c) => [c.label, []]))
      const cpu = new Map<string, number[]>(contenders.map((c) => [c.label, []]))
      const engineCpu = new Map<string, number[]>(contenders.map((c) => [c.label, []]))
      for (let round = 0; round < rounds; round++) {
        for (let turn = 0; turn < contenders.length; turn++) {
          const c = contenders[(round + turn) % contenders.length]!
          const before = c.pid ? cpuSeconds(c.pid) : 0
          const engineBefore = enginePid ? cpuSeconds(enginePid) : 0
          for (let i = 0; i < perTurn; i++) {
            samples.get(c.label)!.push(await execPhases(c.target, container, bytes))
          }
          if (c.pid) cpu.get(c.label)!.push(((cpuSeconds(c.pid) - before) * 1000) / perTurn)
          if (enginePid) {
            engineCpu.get(c.label)!.push(((cpuSeconds(enginePid) - engineBefore) * 1000) / perTurn)
          }
        }
      }
      console.log(
        `\n${runtime}, ${bytes} bytes per exec, ${rounds} rounds × ${perTurn}, load ${load} → ${
          loadavg()[0]!.toFixed(1)
        } (ms, medians; phases from the start request's write)`,
      )
      console.log(
        '| target | create | 101 head | first byte | last byte | EOF | EOF − last | CPU ms/exec | engine CPU ms/exec |',
      )
      console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
      for (const c of contenders) {
        const list = samples.get(c.label)!
        const m = (pick: (p: Phases) => number) => median(list.map(pick)).toFixed(2)
        const cpuMs = c.pid ? median(cpu.get(c.label)!).toFixed(1) : '-'
        const engineMs = enginePid ? median(engineCpu.get(c.label)!).toFixed(1) : '-'
        console.log(
          `| ${c.label} | ${m((p) => p.create)} | ${m((p) => p.head)} | ${m((p) => p.first)} | ${
            m((p) => p.last)
          } | ${m((p) => p.eof)} | ${m((p) => p.eof - p.last)} | ${cpuMs} | ${engineMs} |`,
        )
      }
    }
  } finally {
    await Promise.all(served.map((s) => s.stop()))
  }
}

await main()
