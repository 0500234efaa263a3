/**
 * The floor under any HTTP proxy in a runtime: each connection joined byte for byte to one of the
 * engine's (node:net pipes, no HTTP parsed). What flocker or bench/bare-proxy.ts cost above it is the
 * HTTP on both sides, the part a raw pass of a body could save.
 *
 *   node --import tsx bench/tcp-relay.ts PORT UPSTREAM_PORT     (bun run / deno run -A alike)
 */
import { connect, createServer } from 'node:net'

const [port, upstreamPort] = [Number(process.argv[2]), Number(process.argv[3])]

createServer((client) => {
  const engine = connect(upstreamPort, '127.0.0.1')
  client.pipe(engine)
  engine.pipe(client)
  client.on('error', () => engine.destroy())
  engine.on('error', () => client.destroy())
}).listen(port, '127.0.0.1', () => console.log(`tcp relay listening on ${port}`))
process.on('SIGTERM', () => process.exit(0))
