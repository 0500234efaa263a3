/**
 * Uploads (`POST /images/load`) into a simulated engine through proxy variants, in turns: each round
 * sends `--times` uploads of `--mb` MiB of zeros with curl through every variant (the order rotating),
 * once with a Content-Length (what the bench's load sends) and once chunked (what `docker load`,
 * `docker cp` in and the classic build send: the CLI's body is a stream of unknown length). Records
 * each variant's user and system CPU seconds per GiB from /proc/PID/stat, and GB/s, after one
 * unmeasured upload each way.
 *
 *   node --import tsx bench/upload-ab.ts [--mb=500] [--rounds=3] [--times=2] [--hosts=1] variants.json
 *
 * `--hosts=N`: N simulated engines (a load to every host), `{upstream}` the first; in a variant's args
 * `{nodes}` becomes a `--node=` flag per engine and `{upstreamPorts}` every engine's port (bench/bare-tee.ts).
 * variants.json: see bench/variants.ts.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { startSimulator } from './procs.ts'
import { zerosFile } from './streams.ts'
import { readVariants, type StartedVariant, startVariant } from './variants.ts'

const { values, positionals } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    times: { type: 'string', default: '2' },
    hosts: { type: 'string', default: '1' },
  },
  allowPositionals: true,
})
if (!positionals[0]) throw new Error('usage: upload-ab.ts [--mb=N] [--rounds=N] [--times=N] variants.json')

interface Sample {
  readonly user: number
  readonly system: number
  readonly gbps: number
}
const FRAMINGS = ['content-length', 'chunked'] as const
const CLOCK_TICKS = 100
const file = zerosFile(Number(values.mb))
const load1 = () => loadavg()[0]!.toFixed(1)
const loads = [load1()]
const simulator = await startSimulator(Number(values.hosts), 2, 1)
const running: StartedVariant[] = []
const samples = new Map<string, Sample[]>()
try {
  const variants = readVariants(positionals[0]).map((variant) => ({
    ...variant,
    args: variant.args?.flatMap((arg) => everyUpstream(arg, simulator.urls)),
  }))
  for (const variant of variants) running.push(await startVariant(variant, simulator.urls[0]!))
  // One unmeasured upload each way first: the JIT's warm-up is not the path's cost.
  for (const one of running) for (const framing of FRAMINGS) measure(one, framing)
  for (const framing of FRAMINGS) {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (let i = 0; i < running.length; i++) {
        const one = running[(i + round) % running.length]!
        const key = `${framing} ${one.variant.label}`
        samples.set(key, [...(samples.get(key) ?? []), measure(one, framing)])
      }
    }
  }
} finally {
  await Promise.all(running.map((one) => one.child?.stop()))
  await simulator.stop()
}
loads.push(load1())

console.log(
  `${values.rounds} rounds × ${values.times} uploads of ${values.mb} MiB, load ${loads.join(' → ')}`,
)
console.log('median (min-max): CPU s/GiB = user + system; GB/s')
for (const [label, list] of samples) {
  const total = list.map((s) => s.user + s.system)
  console.log(
    `${label.padEnd(32)} CPU ${stats(total, 2)} = ${stats(list.map((s) => s.user), 2)} + ` +
      `${stats(list.map((s) => s.system), 2)}   GB/s ${stats(list.map((s) => s.gbps), 2)}`,
  )
}

function measure(one: StartedVariant, framing: typeof FRAMINGS[number]): Sample {
  const chunked = framing === 'chunked' ? ['-H', 'transfer-encoding: chunked'] : []
  const before = ticks(one.pid)
  let bytes = 0
  const started = performance.now()
  for (let i = 0; i < Number(values.times); i++) {
    const out = execFileSync('curl', [
      ...['-sSf', '-o', '/dev/null', '-w', '%{size_upload}', '-X', 'POST', '-T', file, ...chunked],
      ...['-H', 'content-type: application/x-tar', '-H', 'Expect:', `${one.url}/v1.41/images/load?quiet=1`],
    ])
    bytes += Number(out.toString())
  }
  const seconds = (performance.now() - started) / 1000
  const after = ticks(one.pid)
  const gib = bytes / 2 ** 30
  return {
    user: (after.user - before.user) / CLOCK_TICKS / gib,
    system: (after.system - before.system) / CLOCK_TICKS / gib,
    gbps: gib / seconds,
  }
}

/** `{nodes}`: a `--node=` flag per engine; `{upstreamPorts}`: every engine's port (bench/bare-tee.ts). */
function everyUpstream(arg: string, urls: readonly string[]): string[] {
  if (arg === '{nodes}') return urls.map((url, i) => `--node=e${i}=${url}`)
  if (arg === '{upstreamPorts}') return urls.map((url) => new URL(url.replace('tcp:', 'http:')).port)
  return [arg]
}

/** The process's user and system clock ticks (none for the engine itself). */
function ticks(pid: number | undefined): { user: number; system: number } {
  if (!pid) return { user: 0, system: 0 }
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  return { user: Number(fields[11]), system: Number(fields[12]) }
}

function stats(list: number[], digits: number): string {
  const sorted = [...list].sort((a, b) => a - b)
  return `${sorted[sorted.length >> 1]!.toFixed(digits)} (${sorted[0]!.toFixed(digits)}-${
    sorted[sorted.length - 1]!.toFixed(digits)
  })`
}
