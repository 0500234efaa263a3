import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { test } from 'node:test'
import { splice } from '../../src/runtime/node-compat/splice.ts'

const CHUNK = Buffer.alloc(256 * 1024, 7)
const CHUNKS = 64 // 16 MiB: far more than the sockets' buffers hold

async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

/** An engine that pours CHUNKS chunks as fast as it is let, then ends. */
function pouringEngine(): Server {
  return createServer({ allowHalfOpen: true }, async (socket) => {
    socket.on('error', () => {})
    for (let i = 0; i < CHUNKS; i++) if (!socket.write(CHUNK)) await once(socket, 'drain')
    socket.end()
  })
}

test('a splice held back by a slow client adds no listener per chunk, and carries and counts every byte', async () => {
  const engine = pouringEngine()
  const enginePort = await listening(engine)
  const watched = { drainListeners: 0, pauses: 0 }
  let counted: [number, number] | undefined
  const proxy = createServer({ allowHalfOpen: true }, (client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: enginePort, allowHalfOpen: true })
    client.on('newListener', (name) => name === 'drain' && watched.drainListeners++)
    upstream.on('pause', () => watched.pauses++)
    splice(client, upstream, {
      clientSurplus: [],
      upstreamEnded: false,
      onClose: (bytesIn, bytesOut) => (counted = [bytesIn, bytesOut]),
    })
  })
  const port = await listening(proxy)
  try {
    const reader = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    reader.pause() // the engine fills every buffer on the way before a byte is read
    await new Promise((resolve) => setTimeout(resolve, 200))
    let received = 0
    // A slow client: a short rest after every read keeps the engine side waiting for drain again and again.
    reader.on('data', (chunk: Buffer) => {
      received += chunk.byteLength
      reader.pause()
      setTimeout(() => reader.resume(), 1)
    })
    reader.resume()
    await once(reader, 'end')
    reader.end()
    await once(reader, 'close')
    while (!counted) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.equal(received, CHUNK.byteLength * CHUNKS)
    assert.deepEqual(counted, [0, CHUNK.byteLength * CHUNKS])
    assert.ok(watched.pauses > 5, `the engine side was paused ${watched.pauses} times`)
    assert.equal(watched.drainListeners, 1, 'one drain listener for the whole stream')
  } finally {
    proxy.close()
    engine.close()
  }
})
