/**
 * Where a long stream's CPU goes, flocker beside the bare proxy (bench/bare-proxy.ts, the floor), in
 * front of one simulated engine: per kind of stream and runtime, the proxy's CPU seconds per GiB
 * carried (from /proc, over the measured rounds), GB/s, and its --cpu-prof summary per GiB. With
 * `--strace`, a second pass under `strace -c -f` gives the system calls per GiB (strace slows the
 * process: its counts are what matters, not its times).
 *
 *   node --import tsx bench/profile-streams.ts [--runtimes=node,bun] [--kinds=logs,load,attach] [--mb=500]
 *     [--rounds=2] [--strace] [--plain] [--repeat=1]
 *
 * `--plain`: no profiler (it costs CPU of its own), CPU per GiB and GB/s only; `--repeat=N`: flocker and
 * the bare proxy N times each, in turns (a shared machine's noise shows in the spread).
 *
 * Deno has no --cpu-prof flag: its profile is taken through the inspector (bench/deno-cpu-prof.ts) over
 * the measured rounds only, where Node's and Bun's include start-up and the unmeasured round.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort, type RuntimeName, scriptCommand, spawnUntilListening } from '../tests/support/flocker.ts'
import { type CpuProfile, summarise } from './cpu-profile.ts'
import { targetOf } from './http.ts'
import { servingProcess } from './memory.ts'
import { cpuSeconds, startSimulator } from './procs.ts'
import { simulatedStreams } from './parts/simulated.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

const { values } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'node,bun' },
    kinds: { type: 'string', default: 'attach,exec,logs,export,cp,load' },
    mb: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    strace: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
  },
})
const mb = Number(values.mb)
const rounds = Number(values.rounds)
const KINDS = simulatedStreams(mb)

interface Proxy {
  readonly label: string
  readonly file: string
  args(port: number, upstream: string): string[]
}
const PROXIES: Proxy[] = [
  {
    label: 'flocker',
    file: 'src/server.ts',
    args: (port, upstream) => ['-H', `tcp://127.0.0.1:${port}`, `--node=sim1=${upstream}`],
  },
  {
    label: 'bare',
    file: 'bench/bare-proxy.ts',
    args: (port, upstream) => [String(port), new URL(upstream.replace('tcp:', 'http:')).port],
  },
]

interface Measured {
  readonly gbps: number
  readonly cpuPerGiB: number
  readonly profile: string
  readonly syscalls: string
}

async function measureOne(
  runtime: RuntimeName,
  proxy: Proxy,
  kind: string,
  upstream: string,
): Promise<Measured> {
  const dir = `/tmp/flocker-stream-profile-${process.pid}`
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const file = runtime === 'deno' && proxy.label === 'flocker' ? 'mod.ts' : proxy.file
  const [command, base] = scriptCommand(runtime, `${ROOT}${file}`)
  const inspector = runtime === 'deno' && !values.plain ? `127.0.0.1:${await freePort()}` : undefined
  const prof = values.plain
    ? []
    : inspector
    ? [`--inspect=${inspector}`]
    : ['--cpu-prof', `--cpu-prof-dir=${dir}`]
  const args = runtime === 'node' ? [...prof, ...base] : [base[0]!, ...prof, ...base.slice(1)]
  const child = await spawnUntilListening(proxy.label, command, [...args, ...proxy.args(port, upstream)])
  const pid = servingProcess(child.process.pid!, port)
  const target = targetOf(`tcp://127.0.0.1:${port}`)
  const measure = KINDS[kind]!
  try {
    await measure(target) // compiles the stream path
    const profiling = inspector ? await inspectorProfile(inspector, `${dir}/deno.cpuprofile`) : undefined
    const before = cpuSeconds(pid)
    let best = 0
    for (let i = 0; i < rounds; i++) best = Math.max(best, await measure(target))
    const cpuPerGiB = (cpuSeconds(pid) - before) / (rounds * mb / 1024)
    const syscalls = values.strace ? await straced(pid, () => measure(target)) : ''
    await profiling?.()
    await child.stop()
    const written = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    const gib = ((rounds + (inspector ? 0 : 1) + (values.strace ? 1 : 0)) * mb) / 1024
    const profile = written
      ? summarise(JSON.parse(readFileSync(`${dir}/${written}`, 'utf8')) as CpuProfile, gib, 'GiB', true)
      : '(not profiled: --plain)'
    return { gbps: best / 1024, cpuPerGiB, profile, syscalls }
  } finally {
    await child.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Starts V8's profiler in a Deno process through its inspector (bench/deno-cpu-prof.ts); the function
 * returned stops it and waits until the profile is written to `file`.
 */
async function inspectorProfile(inspector: string, file: string): Promise<() => Promise<void>> {
  const [deno, base] = scriptCommand('deno', `${ROOT}bench/deno-cpu-prof.ts`)
  const client = spawn(deno, [...base, `http://${inspector}`, file], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    client.stdout!.once('data', () => resolve())
    client.once('exit', (code) => reject(new Error(`the Deno profiler exited with ${code}`)))
  })
  return () =>
    new Promise<void>((resolve) => {
      client.removeAllListeners('exit')
      client.once('exit', () => resolve())
      client.stdin!.end()
    })
}

/** `strace -c -f` attached to `pid` while `run` carries one stream: calls per GiB, busiest first. */
async function straced(pid: number, run: () => Promise<unknown>): Promise<string> {
  const out = `/tmp/flocker-strace-${process.pid}.txt`
  const tracer = spawn('strace', ['-c', '-f', '-o', out, '-p', String(pid)], { stdio: 'ignore' })
  await new Promise((resolve) => setTimeout(resolve, 500)) // attached to every thread
  await run()
  tracer.kill('SIGINT')
  await new Promise((resolve) => tracer.once('close', resolve))
  const rows = readFileSync(out, 'utf8').split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d/.test(f[0]!) && f.at(-1) !== 'total')
  rmSync(out, { force: true })
  const perGiB = (calls: string) => (Number(calls) / (mb / 1024)).toFixed(0)
  return rows
    .map((f) => ({ name: f.at(-1)!, calls: f[3]! }))
    .sort((a, b) => Number(b.calls) - Number(a.calls))
    .slice(0, 8)
    .map((r) => `${r.name} ${perGiB(r.calls)}`)
    .join(', ')
}

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')
const startLoad = load()
const sim = await startSimulator(1, 10, mb)
const lines: string[] = []
try {
  for (const runtime of values.runtimes!.split(',') as RuntimeName[]) {
    for (const kind of values.kinds!.split(',')) {
      for (let r = 0; r < Number(values.repeat); r++) {
        const [flocker, bare] = [
          await measureOne(runtime, PROXIES[0]!, kind, sim.urls[0]!),
          await measureOne(runtime, PROXIES[1]!, kind, sim.urls[0]!),
        ]
        const summary = `${runtime} ${kind}: flocker ${flocker.gbps.toFixed(2)} GB/s, ${
          flocker.cpuPerGiB.toFixed(2)
        } CPU s/GiB; bare ${bare.gbps.toFixed(2)} GB/s, ${
          bare.cpuPerGiB.toFixed(2)
        } CPU s/GiB (load ${load()})`
        process.stderr.write(`[profile-streams] ${summary}\n`)
        lines.push(`### ${summary}`, '')
        for (const [label, m] of [['flocker', flocker], ['bare proxy', bare]] as const) {
          lines.push(`#### ${label}`, '', m.profile, '')
          if (m.syscalls) lines.push(`system calls per GiB (strace -c -f): ${m.syscalls}`, '')
        }
      }
    }
  }
} finally {
  await sim.stop()
}
console.log(
  [
    `\`node --import tsx bench/profile-streams.ts ${process.argv.slice(2).join(' ')}\` (${mb} MB a stream, ` +
    `best of ${rounds} after one unmeasured; load average at start ${startLoad}, at the end ${load()})`,
    '',
    ...lines,
  ].join('\n'),
)
