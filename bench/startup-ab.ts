/**
 * Start-up variants compared in one alternating loop: each round starts every variant once (a fresh
 * process, one simulated host) and records, at its first 200 on `GET /_ping`, the wall time since spawn
 * and the CPU time of every thread (from /proc/PID/task/* /schedstat, ns). CPU time moves much less with
 * the machine's load than wall time does, so it is the figure to compare on a shared machine.
 *
 *   node --import tsx bench/startup-ab.ts --rounds=9 variants.json
 *
 * variants.json: `[{ "label": "deno before", "command": "deno", "args": ["run", "-A", "/tmp/x/mod.ts"] }]`.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadavg } from 'node:os'
import { pingOk } from './parts/simulated.ts'
import { startSimulator } from './procs.ts'
import { freePort } from '../tests/support/flocker.ts'

interface Variant {
  readonly label: string
  readonly command: string
  readonly args: string[]
  readonly env?: Record<string, string>
}

const { values, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '7' } },
  allowPositionals: true,
})
if (!positionals[0]) throw new Error('usage: startup-ab.ts [--rounds=N] variants.json')
const variants = JSON.parse(readFileSync(positionals[0], 'utf8')) as Variant[]
const rounds = Number(values.rounds)

const sim = await startSimulator(1, 10)
const samples = new Map<string, { cpu: number[]; wall: number[] }>(
  variants.map((variant) => [variant.label, { cpu: [], wall: [] }]),
)
const load1 = () => loadavg()[0]!.toFixed(1)
const loads: string[] = [load1()]
try {
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const { cpu, wall } = await firstAnswer(variant, sim.urls[0]!)
      samples.get(variant.label)!.cpu.push(cpu)
      samples.get(variant.label)!.wall.push(wall)
    }
  }
} finally {
  await sim.stop()
}
loads.push(load1())

console.log(`${rounds} rounds, load ${loads.join(' → ')}; CPU ms median / min, wall ms median / min`)
for (const [label, { cpu, wall }] of samples) {
  console.log(`${label.padEnd(32)} CPU ${stats(cpu)}   wall ${stats(wall)}`)
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b)
  return `${sorted[sorted.length >> 1]!.toFixed(0)} / ${sorted[0]!.toFixed(0)}`
}

async function firstAnswer(variant: Variant, host: string): Promise<{ cpu: number; wall: number }> {
  const port = await freePort()
  const start = performance.now()
  const child = spawn(variant.command, [
    ...variant.args,
    `--node=sim1=${host}`,
    '-H',
    `tcp://127.0.0.1:${port}`,
  ], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...variant.env },
  })
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${variant.label} exited with ${child.exitCode}`)
      if (await pingOk(port)) return { cpu: cpuMs(child.pid!), wall: performance.now() - start }
      await sleep(2)
      if (performance.now() - start > 30_000) throw new Error(`${variant.label} never answered`)
    }
  } finally {
    child.kill('SIGKILL')
    await new Promise((resolve) => child.exitCode !== null ? resolve(null) : child.once('exit', resolve))
  }
}

/** CPU ms of every thread of `pid` so far (schedstat's first field: ns on the CPU). */
function cpuMs(pid: number): number {
  let ns = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6
}
