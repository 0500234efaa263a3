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

const FRAME = 4104 // dockerd's exec frame: an 8-byte header and 4 KiB

/** A proxy splicing each client to `engine`; `onSpliced` sees both sockets once joined. */
async function spliceTo(
  enginePort: number,
  onSpliced: (client: Socket, upstream: Socket) => void = () => {},
): Promise<{ port: number; close: () => void }> {
  const proxy = createServer({ allowHalfOpen: true }, (client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: enginePort, allowHalfOpen: true })
    splice(client, upstream, { clientSurplus: [], upstreamEnded: false })
    onSpliced(client, upstream)
  })
  return { port: await listening(proxy), close: () => proxy.close() }
}

function clientOf(port: number): { socket: Socket; received: () => Buffer } {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { socket, received: () => Buffer.concat(chunks) }
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 1))
}

/** Frames told apart by their bytes, so a lost, doubled or reordered one shows. */
const frame = (i: number, size = FRAME) => Buffer.alloc(size, `${i % 251},`)

test('after a small read the engine side rests a moment (its next bytes gather), then reads on', async () => {
  const engine = createServer({ allowHalfOpen: true }, async (socket) => {
    socket.write(frame(1))
    await new Promise((resolve) => setTimeout(resolve, 20))
    socket.end(frame(2))
  })
  const pausedAfterFirstRead: boolean[] = []
  const proxy = await spliceTo(await listening(engine), (_client, upstream) => {
    // Runs after the splice's own 'data' listener: whether it rested the socket after this read.
    upstream.on('data', () => pausedAfterFirstRead.push(upstream.isPaused()))
  })
  try {
    const { socket, received } = clientOf(proxy.port)
    await once(socket, 'end')
    socket.end()
    assert.deepEqual(received(), Buffer.concat([frame(1), frame(2)]))
    assert.equal(pausedAfterFirstRead[0], true, 'the socket rests after a 4 KiB read')
  } finally {
    proxy.close()
    engine.close()
  }
})

test('a burst of 4 KiB frames arrives whole and in order', async () => {
  const frames = Array.from({ length: 2000 }, (_, i) => frame(i, FRAME - (i % 7)))
  const engine = createServer({ allowHalfOpen: true }, async (socket) => {
    for (const one of frames) {
      if (!socket.write(one)) await once(socket, 'drain')
      if (frames.indexOf(one) % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    socket.end()
  })
  const proxy = await spliceTo(await listening(engine))
  try {
    const { socket, received } = clientOf(proxy.port)
    await once(socket, 'end')
    socket.end()
    assert.ok(received().equals(Buffer.concat(frames)), 'every byte, in order')
  } finally {
    proxy.close()
    engine.close()
  }
})

test('a trickle (an interactive echo) each way: every write reaches the other side before the next is sent, then both half-closes pass', async () => {
  const words = ['l', 's', '\n', 'exit\n']
  let engineSide!: Socket
  const engineGot: Buffer[] = []
  let engineSawEnd = false
  const engine = createServer({ allowHalfOpen: true }, (socket) => {
    engineSide = socket
    socket.on('data', (chunk: Buffer) => engineGot.push(chunk))
    socket.on('end', () => (engineSawEnd = true))
  })
  const proxy = await spliceTo(await listening(engine))
  try {
    const { socket, received } = clientOf(proxy.port)
    await until(() => engineSide !== undefined)
    let sent = ''
    for (const word of words) {
      // A keystroke up, its echo back: the next is sent only once each arrived (one held back would stall).
      socket.write(word)
      sent += word
      await until(() => Buffer.concat(engineGot).toString() === sent)
      engineSide.write(word.toUpperCase())
      await until(() => received().toString() === sent.toUpperCase())
    }
    // stdin's EOF reaches the engine, which still answers after it; then the engine's EOF reaches the client.
    socket.end()
    await until(() => engineSawEnd)
    engineSide.end('bye')
    await once(socket, 'end')
    assert.equal(received().toString(), `${sent.toUpperCase()}bye`)
  } finally {
    proxy.close()
    engine.close()
  }
})

test('a splice torn down while a read rests leaves no timer behind', async () => {
  const engine = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {})
    socket.on('end', () => socket.end())
    socket.write(frame(1))
  })
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
  let timersDuringRest = -1
  let timersAfterTeardown = -1
  const proxy = await spliceTo(await listening(engine), (client, upstream) => {
    client.on('error', () => {})
    upstream.on('data', () => {
      timersDuringRest = timers()
      upstream.destroy(new Error('engine gone'))
    })
    upstream.on('close', () => (timersAfterTeardown = timers()))
  })
  try {
    const { socket } = clientOf(proxy.port)
    socket.on('error', () => {})
    socket.on('end', () => socket.end())
    await once(socket, 'close')
    await until(() => timersAfterTeardown >= 0)
    assert.equal(timersAfterTeardown, timersDuringRest - 1, 'the rest timer was cleared with the socket')
  } finally {
    proxy.close()
    engine.close()
  }
})
