/**
 * How a fresh flocker's cost falls as its runtime compiles the path: p50 and CPU a request over
 * successive windows of one client's keep-alive requests, from the first cached answer on. Node runs
 * the built bin (`npm run build`) with the bin's heap flag, as users run it.
 *
 *   node --import tsx bench/warm-up.ts --nodes=node1=tcp://...,node2=...,node3=... \
 *     [--path=ps|inspect] [--windows=8] [--size=500] [--node-flags="--interrupt-budget=16896"]
 *
 * `inspect`: engine 1's first container, answered from the list cache's kept inspect.
 */
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { call, latencySamples, latencyStats, targetOf, untilCached } from './http.ts'
import { servingProcess } from './memory.ts'
import { cpuSeconds } from './procs.ts'
import { freePort, spawnUntilListening, V8_FLAGS } from '../tests/support/flocker.ts'

const BIN = fileURLToPath(new URL('../dist/bin/flocker.js', import.meta.url))
const arg = (name: string, fallback = '') =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const nodes = arg('nodes').split(',').filter(Boolean)
const which = arg('path', 'ps')
const windows = Number(arg('windows', '8'))
const size = Number(arg('size', '500'))
const extraFlags = arg('node-flags').split(' ').filter(Boolean)
/** latencySamples sends this many unmeasured requests first on its new connection. */
const OPENING = 20

const engine1 = targetOf(nodes[0]!.split('=')[1]!)
const rows = JSON.parse(await call(engine1, 'GET', '/v1.41/containers/json')) as { Id: string }[]
const path = which === 'ps' ? '/v1.41/containers/json?all=1' : `/v1.41/containers/${rows[0]!.Id}/json`
const port = await freePort()
const flocker = await spawnUntilListening('flocker', process.execPath, [
  ...V8_FLAGS,
  ...extraFlags,
  BIN,
  '-H',
  `tcp://127.0.0.1:${port}`,
  ...nodes.map((node) => `--node=${node}`),
  '--list-cache=on',
])
const pid = servingProcess(flocker.process.pid!, port)
const target = targetOf(`tcp://127.0.0.1:${port}`)
try {
  const header = which === 'ps' ? 'x-flocker-list' : 'x-flocker-inspect'
  if (!await untilCached(target, path, header, 30)) throw new Error(`${path} never answered from memory`)
  console.log(`${which} ${extraFlags.join(' ')} (load ${loadavg()[0]!.toFixed(1)})`)
  for (let window = 1; window <= windows; window++) {
    const before = cpuSeconds(pid)
    const { p50 } = latencyStats(await latencySamples(target, path, size))
    const us = ((cpuSeconds(pid) - before) * 1e6) / (size + OPENING)
    console.log(
      `  ${window * (size + OPENING)} answered: p50 ${p50.toFixed(3)} ms, CPU ${us.toFixed(0)} µs a request`,
    )
  }
  console.log(`  (load ${loadavg()[0]!.toFixed(1)})`)
} finally {
  await flocker.stop()
}
