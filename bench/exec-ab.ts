/**
 * Execs through proxy variants on a real engine, in turns: each round runs `--times` execs of
 * `head -c MB` in a running container through every variant (the order rotating), and records each
 * variant's CPU seconds per GiB from /proc (utime+stime, create and start included) and MB/s. The
 * variants file is bench/variants.ts's. `--kind=attach`: instead, a container writing MB of zeros,
 * attached raw then started (the bench's attach). `--cli`: the docker CLI is the client (`docker exec`,
 * `docker run`), and its CPU per GiB is shown too (it shares the cores with the proxy and the engine).
 *
 *   node --import tsx bench/exec-ab.ts --upstream=tcp://127.0.0.1:2375 --container=ID \
 *     [--kind=exec|attach] [--cli] [--mb=30] [--rounds=5] [--times=2] variants.json
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { DOCKER, IMAGE, NET } from '../tests/support/docker.ts'
import { type Target, targetOf } from './http.ts'
import { attachFigure } from './measure.ts'
import { median } from './parts/real.ts'
import { cpuSeconds, minorFaults } from './procs.ts'
import { execOutput } from './streams.ts'
import { readVariants, type StartedVariant, startVariant } from './variants.ts'

const { values, positionals } = parseArgs({
  options: {
    upstream: { type: 'string' },
    container: { type: 'string' },
    mb: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '5' },
    times: { type: 'string', default: '2' },
    kind: { type: 'string', default: 'exec' },
    cli: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
if (!values.upstream || !values.container || !positionals[0]) {
  throw new Error(
    'usage: exec-ab.ts --upstream=URL --container=ID [--mb=N] [--rounds=N] [--times=N] variants.json',
  )
}
const upstream = values.upstream
const bytes = Number(values.mb) * 1e6
const variants = readVariants(positionals[0])
const load1 = () => loadavg()[0]!.toFixed(1)

interface Sample {
  readonly cpu: number
  /** The client's CPU s/GiB (the docker CLI's with --cli, else this process's). */
  readonly client: number
  readonly faults: number
  readonly mbps: number
  /** The proxy's read and write system calls per MB (/proc/PID/io). */
  readonly readsPerMb: number
  readonly writesPerMb: number
}

/** A process's read and write system calls so far (syscr, syscw of /proc/PID/io). */
function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)![1])
  return { reads: field('syscr'), writes: field('syscw') }
}

interface Moved {
  readonly bytes: number
  readonly seconds: number
  readonly clientCpu: number
}

/** The docker CLI's stdout counted, its user+system CPU from /usr/bin/time. */
function cli(url: string, args: string[]): Promise<Moved> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn('/usr/bin/time', ['-f', '%U %S', DOCKER, ...args], {
      env: { ...process.env, DOCKER_HOST: url.replace('http:', 'tcp:') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let bytes = 0
    let errors = ''
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.byteLength))
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - start) / 1000
      const [user, system] = errors.trim().split('\n').at(-1)!.split(' ').map(Number)
      if (code !== 0) reject(new Error(`docker ${args.join(' ')}: exit ${code}; ${errors}`))
      else resolve({ bytes, seconds, clientCpu: user! + system! })
    })
  })
}

/** This process as the client (bench/streams.ts's exec, bench/measure.ts's attach). */
async function ownClient(target: Target): Promise<Moved> {
  const before = process.cpuUsage()
  const cpu = () => {
    const used = process.cpuUsage(before)
    return (used.user + used.system) / 1e6
  }
  if (values.kind === 'attach') {
    const mbps = await attachFigure(target, bytes / 2 ** 20)
    return { bytes, seconds: bytes / 2 ** 20 / mbps, clientCpu: cpu() }
  }
  const t = await execOutput(target, values.container!, ['head', '-c', String(bytes), '/dev/zero'])
  return { ...t, clientCpu: cpu() }
}

function transfer(one: StartedVariant): Promise<Moved> {
  if (!values.cli) return ownClient(targetOf(one.url))
  const command = ['head', '-c', String(bytes), '/dev/zero']
  return values.kind === 'attach'
    ? cli(one.url, ['run', '--rm', ...NET, IMAGE, ...command])
    : cli(one.url, ['exec', values.container!, ...command])
}

async function measure(one: StartedVariant): Promise<Sample> {
  const before = one.pid ? cpuSeconds(one.pid) : 0
  const faultsBefore = one.pid ? minorFaults(one.pid) : 0
  const callsBefore = one.pid ? syscalls(one.pid) : { reads: 0, writes: 0 }
  let moved = 0
  let seconds = 0
  let clientCpu = 0
  for (let i = 0; i < Number(values.times); i++) {
    const t = await transfer(one)
    if (t.bytes < bytes) {
      throw new Error(`${values.kind} through ${one.url} passed ${t.bytes} of ${bytes} bytes`)
    }
    moved += t.bytes
    seconds += t.seconds
    clientCpu += t.clientCpu
  }
  const gib = moved / 2 ** 30
  const cpu = one.pid ? (cpuSeconds(one.pid) - before) / gib : 0
  const faults = one.pid ? (minorFaults(one.pid) - faultsBefore) / gib : 0
  const calls = one.pid ? syscalls(one.pid) : callsBefore
  const mb = moved / 1e6
  return {
    cpu,
    client: clientCpu / gib,
    faults,
    mbps: mb / seconds,
    readsPerMb: (calls.reads - callsBefore.reads) / mb,
    writesPerMb: (calls.writes - callsBefore.writes) / mb,
  }
}

const loads = [load1()]
const running: StartedVariant[] = []
const samples = variants.map(() => [] as Sample[])
try {
  for (const variant of variants) running.push(await startVariant(variant, upstream))
  for (const one of running) await measure(one) // compiles the stream path
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let turn = 0; turn < running.length; turn++) {
      const which = (round + turn) % running.length
      samples[which]!.push(await measure(running[which]!))
    }
  }
} finally {
  await Promise.all(running.map((one) => one.child?.stop()))
}
loads.push(load1())
console.log(
  `${values.rounds} rounds × ${values.times} ${values.kind}s of ${values.mb} MB${
    values.cli ? ' (docker CLI)' : ''
  }, load ${loads.join(' → ')}`,
)
variants.forEach((variant, i) => {
  const list = samples[i]!
  const range = (xs: number[], digits: number) =>
    `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`
  console.log(
    `${variant.label.padEnd(20)} CPU s/GiB ${range(list.map((s) => s.cpu), 2)}   client CPU s/GiB ${
      range(list.map((s) => s.client), 2)
    }   minor faults/GiB ${range(list.map((s) => s.faults), 0)}   MB/s ${
      range(list.map((s) => s.mbps), 0)
    }   reads/MB ${range(list.map((s) => s.readsPerMb), 1)}   writes/MB ${
      range(list.map((s) => s.writesPerMb), 1)
    }`,
  )
})
