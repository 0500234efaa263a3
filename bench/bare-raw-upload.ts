/**
 * A measuring aid for uploads (not a proxy to use): bench/bare-proxy.ts's node:http server, but the
 * request written on a raw engine connection of its own (the head, then each body chunk as read, framed
 * again when the client sent chunked) instead of through node:http's client, and the engine's (small)
 * answer passed on once it closes. Against bench/bare-proxy.ts it shows what the client half of
 * node:http costs an upload, the part an upload connection like download-client.ts's could save.
 *
 *   node --import tsx bench/bare-raw-upload.ts PORT UPSTREAM_PORT     (bun run / deno run -A alike)
 */
import { createServer, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'

const [port, upstreamPort] = [Number(process.argv[2]), Number(process.argv[3])]
const CRLF = Buffer.from('\r\n')
const HOP_BY_HOP = /^(connection|transfer-encoding)$/i

createServer((req, res) => {
  const engine = connect(upstreamPort, '127.0.0.1')
  const chunked = req.headers['content-length'] === undefined
  engine.write(headOf(req, chunked))
  req.on('data', (chunk: Buffer) => {
    if (!writeChunk(engine, chunk, chunked)) req.pause()
  })
  engine.on('drain', () => req.resume())
  req.on('end', () => chunked && engine.write('0\r\n\r\n'))
  const answer: Buffer[] = []
  engine.on('data', (bytes: Buffer) => answer.push(bytes))
  engine.on('end', () => {
    const whole = Buffer.concat(answer)
    res.writeHead(Number(whole.subarray(9, 12).toString()), { 'content-type': 'application/json' })
    res.end(whole.subarray(whole.indexOf('\r\n\r\n') + 4))
  })
  engine.on('error', () => res.destroy())
}).listen(port, '127.0.0.1', () => console.log(`bare raw upload listening on ${port}`))
process.on('SIGTERM', () => process.exit(0))

/** The client's head as it came, the engine asked to close after its answer. */
function headOf(req: IncomingMessage, chunked: boolean): string {
  const lines = [`${req.method} ${req.url} HTTP/1.1`]
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.test(req.rawHeaders[i]!)) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
  }
  if (chunked) lines.push('Transfer-Encoding: chunked')
  return [...lines, 'Connection: close', '', ''].join('\r\n')
}

/** One body chunk on the engine's connection, in one write when chunked (corked to the next tick). */
function writeChunk(engine: Socket, chunk: Buffer, chunked: boolean): boolean {
  if (!chunked) return engine.write(chunk)
  engine.cork()
  engine.write(chunk.byteLength.toString(16) + '\r\n')
  engine.write(chunk)
  process.nextTick(() => engine.uncork())
  return engine.write(CRLF)
}
