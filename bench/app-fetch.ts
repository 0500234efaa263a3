/**
 * The app's own cost for one request, without a network between: `app.fetch` of a cached
 * `GET /containers/json?all=1` in a loop, set up as the command line sets it up (access log of
 * failures, audit lines to a sink). Runs on node (tsx), bun and deno.
 *
 *   node --import tsx bench/app-fetch.ts NODE_FLAG... [--calls=20000]
 */
import { createFlocker } from '../src/app.ts'
import { logObserver } from '../src/log/observer.ts'

const args = process.argv.slice(2)
const calls = Number(args.find((a) => a.startsWith('--calls='))?.slice(8) ?? 20000)
const hosts = args.filter((a) => !a.startsWith('--'))
let auditBytes = 0
const app = createFlocker({
  hosts,
  listCache: true,
  observer: logObserver({ requests: false }),
  frontDoor: { audit: (line: string) => void (auditBytes += line.length), listenHosts: ['127.0.0.1'] },
})
const url = 'http://127.0.0.1:2375/v1.41/containers/json?all=1'
const env = { client: { address: '127.0.0.1', port: 50000 } }
const once = async () => {
  const response = await app.fetch(new Request(url), env)
  const bytes = await response.arrayBuffer()
  return { cached: response.headers.get('x-flocker-list') === 'cached', length: bytes.byteLength }
}
for (let i = 0; i < 100; i++) {
  if ((await once()).cached) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
const first = await once()
if (!first.cached) throw new Error('not answered from the cache')
for (let i = 0; i < 2000; i++) await app.fetch(new Request(url), env)
const started = performance.now()
for (let i = 0; i < calls; i++) await app.fetch(new Request(url), env)
const us = ((performance.now() - started) * 1000) / calls
console.log(
  `${first.length} bytes; app.fetch ${
    us.toFixed(1)
  } µs per cached list (${calls} calls); audit ${auditBytes} bytes`,
)
await app.close()
process.exit(0)
