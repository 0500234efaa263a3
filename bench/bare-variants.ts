/**
 * bench/bare-proxy.ts with flocker's pieces added one by one, to bisect what flocker costs above the
 * bare proxy on a runtime (download-ab.ts measures them in turns). PIECES is a comma list of:
 *   server    flocker's server options: connectionsCheckingInterval 15 s, headersTimeout 60 s,
 *             requestTimeout 0, timeout 0
 *   agent     the host agent's options: keepAliveMsecs 1000, idle timeout 7 s, lifo
 *   timeout0  `timeout: 0` on each host request
 *   flush     flushHeaders() after writeHead
 *   pipeline  pipeline(up, res) instead of up.pipe(res)
 *   nudge     one ArrayBuffer(1) every 20 ms (scavenge-nudge.ts)
 *   malloc    one 32 MiB block allocated and dropped at start (malloc-trim.ts)
 *   ballast   about BALLAST_MB (default 8) MB of small live objects, as flocker's larger heap of
 *             modules and state: what each mark-compact has to mark
 *
 *   PIECES=agent,timeout0 deno run -A bench/bare-variants.ts PORT UPSTREAM_PORT
 */
import { Buffer } from 'node:buffer'
import { Agent, createServer, request } from 'node:http'
import process from 'node:process'
import { pipeline } from 'node:stream'

const [port, upstreamPort] = [Number(process.argv[2]), Number(process.argv[3])]
const pieces = new Set((process.env.PIECES ?? '').split(',').filter(Boolean))
const has = (piece: string) => pieces.has(piece)

const agent = new Agent({
  keepAlive: true,
  maxFreeSockets: 64,
  ...(has('agent') ? { keepAliveMsecs: 1000, timeout: 7_000, scheduling: 'lifo' as const } : {}),
})

const server = createServer(
  has('server') ? { connectionsCheckingInterval: 15_000 } : {},
  (req, res) => {
    const out = request({
      host: '127.0.0.1',
      port: upstreamPort,
      path: req.url,
      method: req.method,
      headers: req.headers,
      agent,
      ...(has('timeout0') ? { timeout: 0 } : {}),
    }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      if (has('flush')) res.flushHeaders()
      if (has('pipeline')) pipeline(up, res, () => {})
      else up.pipe(res)
    })
    out.on('error', () => res.destroy())
    req.pipe(out)
  },
)
if (has('server')) {
  server.requestTimeout = 0
  server.headersTimeout = 60_000
  server.timeout = 0
}
server.keepAliveTimeout = 5_000
if (has('nudge')) {
  let probe: ArrayBuffer | undefined
  setInterval(() => (probe = new ArrayBuffer(1)), 20)
  void probe
}
if (has('malloc')) Buffer.allocUnsafeSlow(32 * 1024 * 1024 - 64 * 1024)
const ballast = has('ballast') ? liveObjects(Number(process.env.BALLAST_MB ?? 8)) : []
process.on('SIGTERM', () => process.exit(0))
server.listen(port, '127.0.0.1', () => {
  console.log(`bare variant [${[...pieces]}] (${ballast.length} live objects) listening on ${port}`)
})

/** About `mb` MB of small objects pointing at strings, each one V8 has to visit when it marks. */
function liveObjects(mb: number) {
  return Array.from({ length: Math.round(mb * 1e6 / 64) }, (_, i) => ({ id: i, name: `n${i}`, next: null }))
}
