/**
 * flocker's own CPU for a cached `GET /containers/json?all=1` in-process (`app.fetch`, no socket),
 * this checkout against another (e.g. main) in one process, rounds alternating, CPU time of the
 * process per call (process.cpuUsage: it moves far less with the machine's load than wall time).
 * On Node, @hono/node-server's lightweight Response is installed first, as its server does.
 *
 *   node --expose-gc --import tsx bench/app-fetch-ab.ts --compare=CHECKOUT NODE_FLAG... [--calls=5000] [--rounds=6]
 */
import { getRequestListener } from '@hono/node-server'
import { loadavg } from 'node:os'
import type { createFlocker as Create } from '../src/app.ts'

const args = process.argv.slice(2)
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const calls = Number(flag('calls') ?? 5000)
const rounds = Number(flag('rounds') ?? 6)
const hosts = args.filter((a) => !a.startsWith('--'))
const checkouts = [new URL('../', import.meta.url).pathname, flag('compare')!]
if (!('Deno' in globalThis) && !('Bun' in globalThis)) getRequestListener(() => new Response())

const url = 'http://127.0.0.1:2375/v1.41/containers/json?all=1'
const env = { client: { address: '127.0.0.1', port: 50000 } }
const apps = await Promise.all(checkouts.map(async (root) => {
  const { createFlocker } = await import(`${root}/src/app.ts`) as { createFlocker: typeof Create }
  const { logObserver } = await import(`${root}/src/log/observer.ts`)
  return createFlocker({
    hosts,
    listCache: true,
    observer: logObserver({ requests: false }),
    frontDoor: { audit: () => {}, listenHosts: ['127.0.0.1'] },
  })
}))
for (const app of apps) {
  for (let i = 0; i < 100; i++) {
    if ((await app.fetch(new Request(url), env)).headers.get('x-flocker-list') === 'cached') break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  for (let i = 0; i < 3000; i++) await app.fetch(new Request(url), env)
}
const cpu = apps.map(() => [] as number[])
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [1, 0] : [0, 1]
  for (const i of order) {
    // Each round starts from a collected heap (node --expose-gc), so a major GC lands in no one's turn.
    ;(globalThis as { gc?: () => void }).gc?.()
    const before = process.cpuUsage()
    for (let n = 0; n < calls; n++) await apps[i]!.fetch(new Request(url), env)
    const used = process.cpuUsage(before)
    cpu[i]!.push((used.user + used.system) / calls)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
checkouts.forEach((root, i) =>
  console.log(
    `  ${root.padEnd(30)} CPU µs per call: median ${median(cpu[i]!).toFixed(1)} (${
      cpu[i]!.map((x) => x.toFixed(0)).join(' ')
    })`,
  )
)
await Promise.all(apps.map((app) => app.close()))
process.exit(0)
