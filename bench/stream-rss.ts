/**
 * A proxy's RSS and CPU while it carries each kind of stream, flocker beside the bare proxy (and
 * beside another checkout's flocker with `--compare=DIR`), in turns, at several stream sizes: whether
 * memory stays flat whatever the size, and which stream holds it. One simulated engine.
 *
 *   node --import tsx bench/stream-rss.ts [--runtimes=deno] [--kinds=logs,export,cp,attach,exec,load]
 *     [--mbs=100,400] [--rounds=1] [--compare=DIR]
 */
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { RuntimeName } from '../tests/support/flocker.ts'
import { targetOf } from './http.ts'
import { sampleRss } from './memory.ts'
import { simulatedStreams } from './parts/simulated.ts'
import { bareProxyOn, cpuSeconds, otherFlocker, rssOf, type Served, startSimulator } from './procs.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const { values } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'deno' },
    kinds: { type: 'string', default: 'logs,export,cp,attach,exec,load' },
    mbs: { type: 'string', default: '100,400' },
    rounds: { type: 'string', default: '1' },
    compare: { type: 'string' },
  },
})
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')
const sizes = values.mbs!.split(',').map(Number)
const sim = await startSimulator(1, 10, sizes[0])
console.log(
  `node --import tsx bench/stream-rss.ts ${process.argv.slice(2).join(' ')} (load at start ${load()})`,
)

/** The proxies measured, each started once and kept for every size and kind. */
async function proxiesOn(runtime: RuntimeName): Promise<[string, Served][]> {
  const nodes = [`sim1=${sim.urls[0]}`]
  const proxies: [string, Served][] = [['flocker', await otherFlocker(runtime, ROOT, nodes)]]
  if (values.compare) proxies.push(['compared', await otherFlocker(runtime, values.compare, nodes)])
  proxies.push(['bare', await bareProxyOn(runtime, sim.urls[0]!)])
  return proxies
}

try {
  for (const runtime of values.runtimes!.split(',') as RuntimeName[]) {
    const proxies = await proxiesOn(runtime)
    try {
      for (const mb of sizes) {
        sim.setStreamMb(mb)
        await new Promise((resolve) => setTimeout(resolve, 200))
        const kinds = simulatedStreams(mb)
        for (const kind of values.kinds!.split(',')) {
          for (let round = 0; round < Number(values.rounds); round++) {
            const cells: string[] = []
            for (const [label, proxy] of proxies) {
              const before = rssOf(proxy.pid)
              const cpu = cpuSeconds(proxy.pid)
              const stop = sampleRss(proxy.pid, 10)
              const mibps = await kinds[kind]!(targetOf(proxy.url))
              const peak = stop()
              const perGiB = (cpuSeconds(proxy.pid) - cpu) / (mb / 1024)
              cells.push(
                `${label} ${before.toFixed(0)}→${peak.toFixed(0)} MiB, ${(mibps / 1024).toFixed(2)} GB/s, ${
                  perGiB.toFixed(2)
                } s/GiB`,
              )
            }
            console.log(`${runtime} ${kind} ${mb} MB: ${cells.join('; ')} (load ${load()})`)
          }
        }
      }
    } finally {
      await Promise.all(proxies.map(([, proxy]) => proxy.stop()))
    }
  }
} finally {
  await sim.stop()
}
