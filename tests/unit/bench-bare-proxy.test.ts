/**
 * The bench's bare proxy (bench/bare-proxy.ts) carries an exec start on every runtime: the Upgrade
 * request's JSON body reaches the engine (on Bun and Deno it comes through `req`, and the engine
 * waited for it forever) and the stream comes back to the client.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { bareProxyOn } from '../../bench/procs.ts'
import { runtimes } from '../support/flocker.ts'

const BODY = JSON.stringify({ Detach: false, Tty: false })

/** An engine that reads an exec start's head and body, then answers 101 and a few stream bytes. */
function fakeEngine(bodies: string[]): Server {
  return createServer((socket: Socket) => {
    let bytes = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk])
      const end = bytes.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = Number(/content-length: *(\d+)/i.exec(bytes.subarray(0, end).toString())?.[1] ?? 0)
      if (bytes.byteLength < end + 4 + length) return
      socket.removeAllListeners('data')
      bodies.push(bytes.subarray(end + 4, end + 4 + length).toString())
      socket.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nstream bytes')
    })
  })
}

/** Sends an exec start with its body through `port`; everything the client reads until the end. */
async function execStart(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(
    `POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${BODY.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${BODY}`,
  )
  let answer = ''
  socket.on('data', (chunk: Buffer) => (answer += chunk))
  await once(socket, 'end')
  socket.destroy()
  return answer
}

const bodies: string[] = []
const engine = fakeEngine(bodies)
before(() => new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve)))
after(() => new Promise<void>((resolve) => engine.close(() => resolve())))

for (const runtime of runtimes()) {
  // A guard, not a timed assertion: without the body the engine never answers and the test would hang.
  const guard = { timeout: 60_000 }
  test(`the bare proxy on ${runtime} passes an exec start's body on and the stream back`, guard, async () => {
    const address = engine.address() as { port: number }
    const bare = await bareProxyOn(runtime, `tcp://127.0.0.1:${address.port}`)
    try {
      const before = bodies.length
      const answer = await execStart(Number(new URL(bare.url.replace('tcp:', 'http:')).port))
      assert.deepEqual(bodies.slice(before), [BODY])
      assert.match(answer, /^HTTP\/1\.1 101/)
      assert.ok(answer.endsWith('\r\n\r\nstream bytes'), answer)
    } finally {
      await bare.stop()
    }
  })
}
