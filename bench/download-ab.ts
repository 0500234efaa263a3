/**
 * Downloads from a real engine through proxy variants, in turns: each round fetches `path` `--times`
 * times with curl through every variant (the order rotating), and records each variant's CPU seconds
 * per GiB from /proc/PID/task/{tid}/schedstat, split into the main thread and the others by thread name
 * (on Node and Deno, V8's garbage-collector helpers `V8 DefaultWorke`), MB/s, and each variant's peak
 * RSS at the end. CPU per GiB moves much less with the machine's load than MB/s. `--samples` prints
 * every round (V8's helpers do 0.05 or 0.8 s/GiB by round on Deno: a median hides which).
 *
 *   node --import tsx bench/download-ab.ts --upstream=tcp://127.0.0.1:2375 \
 *     --path=/v1.41/containers/big/archive?path=/big [--rounds=5] [--times=3] variants.json
 *
 * `--simulate=MB` instead of --upstream: a simulated engine (bench/simulator) pouring MB per stream,
 * whose container is `sim1-c0` (`--path=/v1.41/containers/sim1-c0/export`). `--kinds=export,logs`
 * with --simulate: those paths of sim1-c0, each measured in its own rounds.
 *
 * variants.json: see bench/variants.ts.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { readVariants, type StartedVariant, startVariant } from './variants.ts'
import { type Simulator, startSimulator } from './procs.ts'

interface Sample {
  readonly main: number
  readonly others: number
  /** The other threads' CPU s/GiB by thread name (V8's GC helpers, a runtime's I/O threads). */
  readonly named: Record<string, number>
  readonly mbps: number
}

const { values, positionals } = parseArgs({
  options: {
    upstream: { type: 'string' },
    path: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    times: { type: 'string', default: '3' },
    simulate: { type: 'string' },
    kinds: { type: 'string' },
    /** Print every round's main + other threads, not only the medians (V8's helpers vary by round). */
    samples: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
const SIMULATED_PATHS: Record<string, string> = {
  export: '/v1.41/containers/sim1-c0/export',
  logs: '/v1.41/containers/sim1-c0/logs?stdout=1',
  cp: '/v1.41/containers/sim1-c0/archive?path=/big',
}
const paths = values.kinds
  ? values.kinds.split(',').map((kind) => SIMULATED_PATHS[kind] ?? kind)
  : values.path
  ? [values.path]
  : []
if (!(values.upstream || values.simulate) || paths.length === 0 || !positionals[0]) {
  throw new Error(
    'usage: download-ab.ts (--upstream=URL | --simulate=MB) (--path=PATH | --kinds=export,logs) ' +
      '[--rounds=N] [--times=N] variants.json',
  )
}
const variants = readVariants(positionals[0])
const rounds = Number(values.rounds)
const times = Number(values.times)
const load1 = () => loadavg()[0]!.toFixed(1)

let simulator: Simulator | undefined
const running: StartedVariant[] = []
const samples = new Map<string, Sample[]>()
const peakRss = new Map<string, number>()
const loads = [load1()]
try {
  if (values.simulate) simulator = await startSimulator(1, 2, Number(values.simulate))
  const upstream = simulator?.urls[0] ?? values.upstream!
  for (const variant of variants) running.push(await startVariant(variant, upstream))
  for (const path of paths) {
    for (const variant of variants) samples.set(`${path} ${variant.label}`, [])
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < running.length; i++) {
        const one = running[(i + round) % running.length]!
        samples.get(`${path} ${one.variant.label}`)!.push(measure(one, path))
      }
    }
  }
  for (const one of running) if (one.pid) peakRss.set(one.variant.label, peakRssMib(one.pid))
} finally {
  await Promise.all(running.map((one) => one.child?.stop()))
  await simulator?.stop()
}
loads.push(load1())

console.log(`${rounds} rounds × ${times} GETs of each path, load ${loads.join(' → ')}`)
console.log('median (min-max): CPU s/GiB total = main thread + other threads; MB/s')
for (const [label, list] of samples) {
  const total = list.map((s) => s.main + s.others)
  console.log(
    `${label.padEnd(50)} CPU ${stats(total, 2)} = ${stats(list.map((s) => s.main), 2)} + ` +
      `${stats(list.map((s) => s.others), 2)}   MB/s ${stats(list.map((s) => s.mbps), 0)}`,
  )
  const names = [...new Set(list.flatMap((s) => Object.keys(s.named)))]
  const named = names.map((name) => [name, stats(list.map((s) => s.named[name] ?? 0), 2)])
  console.log(`${''.padEnd(50)} others by thread: ${named.map(([name, s]) => `${name} ${s}`).join(', ')}`)
  if (values.samples) {
    const rounds = list.map((s) => `${s.main.toFixed(2)}+${s.others.toFixed(2)}`)
    console.log(`${''.padEnd(50)} rounds (main+others): ${rounds.join(' ')}`)
  }
}

for (const [label, mib] of peakRss) console.log(`peak RSS ${label}: ${mib.toFixed(0)} MiB`)

function measure(one: StartedVariant, path: string): Sample {
  const before = threadsCpu(one.pid)
  let bytes = 0
  const started = performance.now()
  for (let i = 0; i < times; i++) {
    const out = execFileSync('curl', [
      '-sf',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download}',
      one.url + path,
    ])
    bytes += Number(out.toString())
  }
  const seconds = (performance.now() - started) / 1000
  const after = threadsCpu(one.pid)
  const gib = bytes / 2 ** 30
  const named: Record<string, number> = {}
  for (const [name, cpu] of after.named) named[name] = (cpu - (before.named.get(name) ?? 0)) / gib
  return {
    main: (after.main - before.main) / gib,
    others: Object.values(named).reduce((sum, cpu) => sum + cpu, 0),
    named,
    mbps: bytes / 1e6 / seconds,
  }
}

/**
 * CPU seconds of the main thread and of the others by name (digits dropped: `V8 DefaultWorke`),
 * from each thread's schedstat (ns). None for direct (no process of ours).
 */
function threadsCpu(pid: number | undefined): { main: number; named: Map<string, number> } {
  let main = 0
  const named = new Map<string, number>()
  if (!pid) return { main, named }
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
      if (Number(task) === pid) main += ns / 1e9
      else {
        const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim().replace(/[0-9]+$/, '')
        named.set(name, (named.get(name) ?? 0) + ns / 1e9)
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return { main, named }
}

/** The process's peak resident set so far (VmHWM), MiB. */
function peakRssMib(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))
  return Number(line?.match(/[0-9]+/)?.[0] ?? 0) / 1024
}

function stats(list: number[], digits: number): string {
  const sorted = [...list].sort((a, b) => a - b)
  const median = sorted[sorted.length >> 1]!
  return `${median.toFixed(digits)} (${sorted[0]!.toFixed(digits)}-${
    sorted[sorted.length - 1]!.toFixed(digits)
  })`
}
