/**
 * The reference: a bare pass-through proxy written with the runtime's own node:http, no framework,
 * no lookup, no conversion. Whatever flocker costs above this is flocker's; below it, the extra
 * loopback hop and HTTP parse any proxy pays.
 *
 *   node --import tsx bench/bare-proxy.ts PORT UPSTREAM_PORT     (bun run / deno run -A alike)
 */
import { Agent, createServer, request } from 'node:http'
import { connect } from 'node:net'

const [port, upstreamPort] = [Number(process.argv[2]), Number(process.argv[3])]
const agent = new Agent({ keepAlive: true, maxFreeSockets: 64 })

const server = createServer((req, res) => {
  const out = request(
    { host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    },
  )
  out.on('error', () => res.destroy())
  req.pipe(out)
})
// Attach and exec: replay the head to the engine, then join the two sockets. The request body (exec
// start's JSON) comes in `head` or on the socket on Node, but through `req` on Bun and Deno: without
// forwarding `req` too, the engine waits for it and the stream never starts.
server.on('upgrade', (req, client, head) => {
  const engine = connect(upstreamPort, '127.0.0.1', () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`]
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
    }
    engine.write(lines.join('\r\n') + '\r\n\r\n')
    engine.write(head)
    req.on('data', (chunk: Buffer) => engine.write(chunk))
    engine.pipe(client)
    client.pipe(engine)
  })
  engine.on('error', () => client.destroy())
  client.on('error', () => engine.destroy())
})
server.keepAliveTimeout = 5_000
process.on('SIGTERM', () => process.exit(0)) // a profiler writes its file on exit
server.listen(port, '127.0.0.1', () => console.log(`bare proxy listening on ${port}`))
