/**
 * What a flocker's list cache holds over many simulated hosts, form by form: flocker runs in this
 * process (Node, `--expose-gc`), fills its cache from the simulator, answers `ps -a`, then each form
 * is let go in turn and the heap measured after a full collection, so each one's share shows.
 *
 *   node --expose-gc --import tsx bench/memory-forms.ts [--hosts=500] [--containers=100] [--snapshot=FILE]
 *
 * --snapshot: a heap snapshot once the cache answers (before anything is let go), for a look at who
 * holds what (Chrome's DevTools, or /tmp scripts summing retained sizes).
 */
import { writeHeapSnapshot } from 'node:v8'
import { createFlocker, type FlockerApp } from '../src/app.ts'
import type { ContainerCache } from '../src/cache/container-cache.ts'
import type { Host } from '../src/flock/host.ts'
import { rememberContainers } from '../src/flock/last-seen.ts'
import { startSimulator } from './procs.ts'

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const hosts = Number(arg('hosts', '500'))
const containers = Number(arg('containers', '100'))
const path = '/v1.41/containers/json?all=1'
const exposed = (globalThis as { gc?: () => void }).gc
if (!exposed) throw new Error('run with node --expose-gc')
const gc: () => void = exposed
const MiB = 2 ** 20

function heap(): { used: number; external: number; rss: number } {
  gc()
  gc()
  const m = process.memoryUsage()
  return { used: m.heapUsed / MiB, external: m.external / MiB, rss: m.rss / MiB }
}
const show = (what: string, m: ReturnType<typeof heap>) =>
  console.log(
    `${what.padEnd(52)} heap ${m.used.toFixed(1)} MiB, external ${m.external.toFixed(1)}, RSS ${
      m.rss.toFixed(0)
    }`,
  )

const sim = await startSimulator(hosts, containers)
const start = heap()
show('before flocker', start)
const app = createFlocker({
  hosts: sim.urls.map((url, i) => `sim${i + 1}=${url}`),
  listCache: true,
  log: () => {},
})
try {
  await app.checkHosts()
  let cached = false
  for (let i = 0; i < 1200 && !cached; i++) {
    const res = await app.fetch(new Request(`http://docker${path}`))
    cached = res.headers.get('x-flocker-list') === 'cached'
    await res.arrayBuffer()
    if (!cached) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (!cached) throw new Error('never cached')
  for (let i = 0; i < 5; i++) await (await app.fetch(new Request(`http://docker${path}`))).arrayBuffer()
  const full = heap()
  const n = hosts * containers
  show(`cached, ${n} containers, after 5 lists`, full)
  if (arg('snapshot', '')) console.log(`heap snapshot: ${writeHeapSnapshot(arg('snapshot', ''))}`)
  console.log(
    `  per container: ${
      (((full.used + full.external - start.used - start.external) * MiB) / n).toFixed(0)
    } B`,
  )
  let before = full
  for (const [what, drop] of drops(app)) {
    drop()
    const after = heap()
    show(`without ${what}`, after)
    console.log(
      `  ${what}: ${(before.used - after.used).toFixed(1)} MiB heap, ${
        (before.external - after.external).toFixed(1)
      } MiB external = ${
        ((((before.used - after.used) + (before.external - after.external)) * MiB) / n).toFixed(0)
      } B per container`,
    )
    before = after
  }
} finally {
  await app.close()
  await sim.stop()
}

/** Each form flocker keeps, and how to let it go (in this order: each drop leaves the ones after). */
function drops(app: FlockerApp): [string, () => void][] {
  const cache = app.flock.owners.exact as ContainerCache<Host>
  return [
    // follow() with the same hosts keeps every feed and forgets the kept answers.
    ['the kept answers', () => cache.follow(app.flock.all)],
    [
      "each host's last-seen list (what ps shows of a down host)",
      () => app.flock.all.forEach((host) => rememberContainers(host, [])),
    ],
    ['the owner cache', () => app.flock.all.forEach((host) => app.flock.owners.forgetHost(host))],
    ["the list cache's rows (bytes, filter fields, Status texts, names)", () => cache.stop()],
    ["the name index and the rest (the scheduler's last read of each host)", () => void app.close()],
  ]
}
