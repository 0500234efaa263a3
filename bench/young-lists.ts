/**
 * How often a cached `ps -a` is rebuilt, and what an answer costs in-process, while its containers are
 * young ("Up N seconds" rows turn every second, each at its own phase) and once they are older.
 *
 *   node --import tsx bench/young-lists.ts NODE_FLAG... [--seconds=5]
 */
import { createFlocker } from '../src/app.ts'
import { logObserver } from '../src/log/observer.ts'
import { knownBytes } from '../src/runtime/known-bytes.ts'

const args = process.argv.slice(2)
const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 5)
const hosts = args.filter((a) => !a.startsWith('--'))
const app = createFlocker({
  hosts,
  listCache: true,
  observer: logObserver({ requests: false }),
  frontDoor: { audit: () => {}, listenHosts: ['127.0.0.1'] },
})
const url = 'http://127.0.0.1:2375/v1.41/containers/json?all=1'
const env = { client: { address: '127.0.0.1', port: 50000 } }
const once = async () => {
  const response = await app.fetch(new Request(url), env)
  const bytes = knownBytes(response)
  await response.arrayBuffer()
  return { cached: response.headers.get('x-flocker-list') === 'cached', bytes }
}
for (let i = 0; i < 100; i++) {
  if ((await once()).cached) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
for (let i = 0; i < 2000; i++) await once()
const bodies = new Set<Uint8Array>()
let calls = 0
const started = performance.now()
while (performance.now() - started < seconds * 1000) {
  const { bytes } = await once()
  if (bytes) bodies.add(bytes)
  calls++
}
const us = ((performance.now() - started) * 1000) / calls
console.log(
  `${calls} calls, ${bodies.size} bodies built (${(bodies.size / seconds).toFixed(1)}/s); ${
    us.toFixed(1)
  } µs per call`,
)
await app.close()
process.exit(0)
