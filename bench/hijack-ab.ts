/**
 * Two flocker trees side by side on one simulated engine, with the bare proxy as the floor: attach and
 * exec streams in turns (the order rotating each round), CPU seconds and minor page faults per GiB from /proc and MB/s, the
 * median of the rounds. For an A/B of a change to the hijack path: `git archive` the base into a folder
 * (with node_modules linked) and pass it as --base; --bare-base adds the base's bare proxy (a change to it).
 * `--also=K=V,...` (repeatable) adds this tree's flocker run with that environment. Node runs with the flags the bench and the bin give it.
 *
 *   node --import tsx bench/hijack-ab.ts --base=/tmp/base [--runtimes=node,bun,deno] [--kinds=exec,attach]
 *     [--mb=300] [--rounds=5] [--bare-base]
 */
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  freePort,
  type RuntimeName,
  scriptCommand,
  spawnUntilListening,
  V8_FLAGS,
} from '../tests/support/flocker.ts'
import { targetOf } from './http.ts'
import { servingProcess } from './memory.ts'
import { median } from './parts/real.ts'
import { simulatedStreams } from './parts/simulated.ts'
import { cpuSeconds, minorFaults, startSimulator } from './procs.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    runtimes: { type: 'string', default: 'node,bun,deno' },
    kinds: { type: 'string', default: 'exec,attach' },
    mb: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
    'bare-base': { type: 'boolean', default: false },
    also: { type: 'string', multiple: true, default: [] },
  },
})
const mb = Number(values.mb)
const KINDS = simulatedStreams(mb)
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ')

async function serve(
  runtime: RuntimeName,
  label: string,
  root: string,
  upstream: string,
  env: Record<string, string> = {},
) {
  const port = await freePort()
  const bare = label.startsWith('bare')
  const file = bare ? 'bench/bare-proxy.ts' : runtime === 'deno' ? 'mod.ts' : 'src/server.ts'
  const [command, base] = scriptCommand(runtime, `${root}${file}`, V8_FLAGS)
  const args = bare
    ? [String(port), new URL(upstream.replace('tcp:', 'http:')).port]
    : ['-H', `tcp://127.0.0.1:${port}`, `--node=sim1=${upstream}`]
  const child = await spawnUntilListening(label, command, [...base, ...args], env)
  return {
    label,
    child,
    pid: servingProcess(child.process.pid!, port),
    target: targetOf(`tcp://127.0.0.1:${port}`),
  }
}

/** `--also=K=V,K=V`: one more flocker of this tree, with that environment (a tunable tried in turns). */
function envOf(also: string): Record<string, string> {
  return Object.fromEntries(also.split(',').map((pair) => pair.split('=') as [string, string]))
}

const baseRoot = values.base!.replace(/\/?$/, '/')
const sim = await startSimulator(1, 10, mb)
try {
  for (const runtime of values.runtimes!.split(',') as RuntimeName[]) {
    const proxies = [
      await serve(runtime, 'base', baseRoot, sim.urls[0]!),
      await serve(runtime, 'new', ROOT, sim.urls[0]!),
      await serve(runtime, 'bare', ROOT, sim.urls[0]!),
    ]
    if (values['bare-base']) proxies.push(await serve(runtime, 'bare-base', baseRoot, sim.urls[0]!))
    for (const also of values.also!) {
      proxies.push(await serve(runtime, `new+${also}`, ROOT, sim.urls[0]!, envOf(also)))
    }
    try {
      for (const kind of values.kinds!.split(',')) {
        const measure = KINDS[kind]!
        for (const p of proxies) await measure(p.target) // compiles the stream path
        const rates = proxies.map(() => [] as number[])
        const cpu = proxies.map(() => [] as number[])
        const faults = proxies.map(() => [] as number[])
        for (let round = 0; round < Number(values.rounds); round++) {
          for (let turn = 0; turn < proxies.length; turn++) {
            const which = (round + turn) % proxies.length
            const before = cpuSeconds(proxies[which]!.pid)
            const faultsBefore = minorFaults(proxies[which]!.pid)
            rates[which]!.push(await measure(proxies[which]!.target))
            cpu[which]!.push((cpuSeconds(proxies[which]!.pid) - before) / (mb / 1024))
            faults[which]!.push((minorFaults(proxies[which]!.pid) - faultsBefore) / (mb / 1024))
          }
        }
        const cells = proxies.map((p, i) =>
          `${p.label} ${median(cpu[i]!).toFixed(2)} CPU s/GiB (${Math.min(...cpu[i]!).toFixed(2)}-${
            Math.max(...cpu[i]!).toFixed(2)
          }), ${median(rates[i]!).toFixed(0)} MB/s, ${
            (median(faults[i]!) / 1000).toFixed(1)
          }k page faults/GiB`
        )
        console.log(`${runtime} ${kind}, median of ${values.rounds}: ${cells.join('; ')} (load ${load()})`)
      }
    } finally {
      await Promise.all(proxies.map((p) => p.child.stop()))
    }
  }
} finally {
  await sim.stop()
}
