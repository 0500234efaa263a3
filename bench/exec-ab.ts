/**
 * Execs through proxy variants on a real engine, in turns: each round runs `--times` execs of
 * `head -c MB` in a running container through every variant (the order rotating), and records each
 * variant's CPU seconds per GiB from /proc (utime+stime, create and start included) and MB/s. The
 * variants file is bench/variants.ts's.
 *
 *   node --import tsx bench/exec-ab.ts --upstream=tcp://127.0.0.1:2375 --container=ID \
 *     [--mb=30] [--rounds=5] [--times=2] variants.json
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { targetOf } from './http.ts'
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
  readonly faults: number
  readonly mbps: number
}

async function measure(one: StartedVariant): Promise<Sample> {
  const before = one.pid ? cpuSeconds(one.pid) : 0
  const faultsBefore = one.pid ? minorFaults(one.pid) : 0
  let moved = 0
  let seconds = 0
  for (let i = 0; i < Number(values.times); i++) {
    const t = await execOutput(targetOf(one.url), values.container!, [
      'head',
      '-c',
      String(bytes),
      '/dev/zero',
    ])
    if (t.bytes < bytes) throw new Error(`exec through ${one.url} passed ${t.bytes} of ${bytes} bytes`)
    moved += t.bytes
    seconds += t.seconds
  }
  const gib = moved / 2 ** 30
  const cpu = one.pid ? (cpuSeconds(one.pid) - before) / gib : 0
  const faults = one.pid ? (minorFaults(one.pid) - faultsBefore) / gib : 0
  return { cpu, faults, mbps: moved / 1e6 / seconds }
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
console.log(`${values.rounds} rounds × ${values.times} execs of ${values.mb} MB, load ${loads.join(' → ')}`)
variants.forEach((variant, i) => {
  const list = samples[i]!
  const range = (xs: number[], digits: number) =>
    `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`
  console.log(
    `${variant.label.padEnd(20)} CPU s/GiB ${range(list.map((s) => s.cpu), 2)}   minor faults/GiB ${
      range(list.map((s) => s.faults), 0)
    }   MB/s ${range(list.map((s) => s.mbps), 0)}`,
  )
})
