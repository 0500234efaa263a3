/**
 * The floor of a load sent to every host: a bare tee written with the runtime's own node:http, which
 * pipes an upload to several engines at once (node's pipe pauses it until every engine took its
 * chunk) and answers with the first engine's answer once all have answered. What three engines
 * writing the same image at once, and one more process copying every byte, cost on this machine.
 *
 *   node --import tsx bench/bare-tee.ts PORT UPSTREAM_PORT... (bun run / deno run -A alike)
 */
import { Agent, createServer, type IncomingMessage, request } from 'node:http'

const [port, ...upstreamPorts] = process.argv.slice(2).map(Number)
const agent = new Agent({ keepAlive: true, maxFreeSockets: 64 })

const server = createServer((req, res) => {
  const answers = upstreamPorts.map((upstreamPort) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const out = request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          path: req.url,
          method: req.method,
          headers: req.headers,
          agent,
        },
        resolve,
      )
      out.on('error', reject)
      req.pipe(out)
    })
  )
  Promise.all(answers).then(([first, ...others]) => {
    for (const other of others) other.resume()
    res.writeHead(first!.statusCode ?? 502, first!.headers)
    first!.pipe(res)
  }, () => res.destroy())
})
server.keepAliveTimeout = 5_000
process.on('SIGTERM', () => process.exit(0))
server.listen(port, '127.0.0.1', () => console.log(`bare tee listening on ${port}`))
