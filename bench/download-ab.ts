/**
 * Downloads from a real engine through proxy variants, in turns: each round fetches `path` `--times`
 * times with curl through every variant (the order rotating), and records each variant's CPU seconds
 * per GiB from /proc/PID/task/{tid}/schedstat, split into the main thread and the others (on Node, V8's
 * garbage-collector helpers), and MB/s. CPU per GiB moves much less with the machine's load than MB/s.
 *
 *   node --import tsx bench/download-ab.ts --upstream=tcp://127.0.0.1:2375 \
 *     --path=/v1.41/containers/big/archive?path=/big [--rounds=5] [--times=3] variants.json
 *
 * variants.json: see bench/variants.ts.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { readVariants, type StartedVariant, startVariant } from './variants.ts'

interface Sample {
  readonly main: number
  readonly others: number
  readonly mbps: number
}

const { values, positionals } = parseArgs({
  options: {
    upstream: { type: 'string' },
    path: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    times: { type: 'string', default: '3' },
  },
  allowPositionals: true,
})
if (!values.upstream || !values.path || !positionals[0]) {
  throw new Error('usage: download-ab.ts --upstream=URL --path=PATH [--rounds=N] [--times=N] variants.json')
}
const upstream = values.upstream
const variants = readVariants(positionals[0])
const rounds = Number(values.rounds)
const times = Number(values.times)
const load1 = () => loadavg()[0]!.toFixed(1)

const running: StartedVariant[] = []
const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.label, []]))
const loads = [load1()]
try {
  for (const variant of variants) running.push(await startVariant(variant, upstream))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < running.length; i++) {
      const one = running[(i + round) % running.length]!
      samples.get(one.variant.label)!.push(measure(one))
    }
  }
} finally {
  await Promise.all(running.map((one) => one.child?.stop()))
}
loads.push(load1())

console.log(`${rounds} rounds × ${times} GETs of ${values.path}, load ${loads.join(' → ')}`)
console.log('median (min-max): CPU s/GiB total = main thread + other threads; MB/s')
for (const [label, list] of samples) {
  const total = list.map((s) => s.main + s.others)
  console.log(
    `${label.padEnd(28)} CPU ${stats(total, 2)} = ${stats(list.map((s) => s.main), 2)} + ` +
      `${stats(list.map((s) => s.others), 2)}   MB/s ${stats(list.map((s) => s.mbps), 0)}`,
  )
}

function measure(one: StartedVariant): Sample {
  const before = one.pid ? threadsCpu(one.pid) : { main: 0, others: 0 }
  let bytes = 0
  const started = performance.now()
  for (let i = 0; i < times; i++) {
    const out = execFileSync('curl', [
      '-sf',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download}',
      one.url + values.path,
    ])
    bytes += Number(out.toString())
  }
  const seconds = (performance.now() - started) / 1000
  const after = one.pid ? threadsCpu(one.pid) : { main: 0, others: 0 }
  const gib = bytes / 2 ** 30
  return {
    main: (after.main - before.main) / gib,
    others: (after.others - before.others) / gib,
    mbps: bytes / 1e6 / seconds,
  }
}

/** CPU seconds of the main thread and of all the others together, from each thread's schedstat (ns). */
function threadsCpu(pid: number): { main: number; others: number } {
  let main = 0
  let others = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
      if (Number(task) === pid) main += ns / 1e9
      else others += ns / 1e9
    } catch {
      // the thread ended meanwhile
    }
  }
  return { main, others }
}

function stats(list: number[], digits: number): string {
  const sorted = [...list].sort((a, b) => a - b)
  const median = sorted[sorted.length >> 1]!
  return `${median.toFixed(digits)} (${sorted[0]!.toFixed(digits)}-${
    sorted[sorted.length - 1]!.toFixed(digits)
  })`
}
