import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { get } from 'node:http'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { type RecordingEngine, startRecordingEngine } from '../support/recording-engine.ts'

// Memory under the two exhaustion attacks, on a fake engine (only an endless export is
// needed). The figures are printed for the README (Security); the assertions are loose bounds.
const MB = 1024 * 1024

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
}

/** Writes `bytes` after `head` as fast as the server takes them; resolves when done or refused. */
function push(port: number, head: string, bytes: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    let sent = 0
    const chunk = Buffer.alloc(MB, 120)
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.byteLength
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
    }
    socket.on('data', (data) => (answer += data))
    socket.on('error', () => {})
    socket.on('close', () => resolve(answer))
    socket.write(head)
    pump()
    setTimeout(() => socket.destroy(), 20_000)
  })
}

/** Reads a whole export with node:http, counting only: as fast as the stream (a slow reader leaves V8 idle time to collect). */
function exported(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/v1.41/containers/big/export`, (res) => {
      let read = 0
      let text = ''
      res.on('data', (chunk: Buffer) => {
        read += chunk.byteLength
        if (res.statusCode !== 200) text += chunk
      })
      res.on(
        'end',
        () => (res.statusCode === 200 ? resolve(read) : reject(new Error(`${res.statusCode} ${text}`))),
      )
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** An engine that answers every export with `mb` MiB as fast as it is read. */
function exportingEngine(engine: RecordingEngine, mb: number): void {
  engine.route((req, res) => {
    if (/\/containers\/(big|[0-9a-f]{64})\/json/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ Id: 'a'.repeat(64), Name: '/big', Config: { Labels: {} }, State: {} }))
      return true
    }
    if (!/\/containers\/[^/]+\/export/.test(req.url ?? '')) return false
    res.writeHead(200, { 'content-type': 'application/x-tar' })
    const chunk = Buffer.alloc(MB, 1)
    let left = mb
    const pump = () => {
      while (left > 0) {
        left--
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
    return true
  })
}

for (const runtime of runtimes().filter((r) => r === 'node')) {
  describe(`memory under exhaustion attacks on ${runtime}`, () => {
    let engine: RecordingEngine
    let flocker: RunningFlocker
    before(async () => {
      engine = await startRecordingEngine()
      exportingEngine(engine, 512)
      flocker = await startFlocker(runtime, ['--node', `fake=${engine.url}`])
    })
    after(async () => {
      await flocker?.stop()
      await engine?.close()
    })

    test('a 96 MB Upgrade body is refused unread', async () => {
      const pid = flocker.process.pid!
      const before = rssMb(pid)
      const answer = await push(
        flocker.port,
        `POST /v1.41/containers/big/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${96 * MB}\r\n\r\n`,
        96 * MB,
      )
      const afterRss = rssMb(pid)
      console.log(
        `figure: 96 MB Upgrade body: RSS ${before.toFixed(0)} MB before, ${afterRss.toFixed(0)} MB after`,
      )
      assert.match(answer, /^HTTP\/1\.1 413/)
      assert.ok(afterRss - before < 48, `RSS grew by ${afterRss - before} MB`)
    })

    test('an export whose client stops reading holds the engine back instead of buffering', async () => {
      const pid = flocker.process.pid!
      const before = rssMb(pid)
      const socket = connect(flocker.port, '127.0.0.1')
      socket.write(`GET /v1.41/containers/big/export HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
      socket.pause() // never reads
      await new Promise((resolve) => setTimeout(resolve, 5_000))
      const stalled = rssMb(pid)
      socket.destroy()
      console.log(
        `figure: stalled 512 MB export: RSS ${before.toFixed(0)} MB before, ${
          stalled.toFixed(0)
        } MB while stalled`,
      )
      assert.ok(stalled - before < 96, `RSS grew by ${stalled - before} MB`)
      const stray = await push(
        flocker.port,
        `GET /v1.41/containers/big/export HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
        0,
      )
      assert.match(stray, /^HTTP\/1\.1 400/)
    })
  })
}

// Deno reads sockets into buffers V8 did not allocate, so V8 never scavenged for the chunks a stream
// carried: RSS rose by 200-400 MiB over a few large streams (src/runtime/node-compat/scavenge-nudge.ts).
for (const runtime of runtimes().filter((r) => r === 'deno')) {
  describe(`memory of a stream read at full speed on ${runtime}`, () => {
    let engine: RecordingEngine
    let flocker: RunningFlocker
    before(async () => {
      engine = await startRecordingEngine()
      exportingEngine(engine, 512)
      // One health check, at start: the engine shares this busy process, and a ping it answers late
      // between two streams would leave the host unhealthy for the next.
      flocker = await startFlocker(runtime, ['--node', `fake=${engine.url}`, '--health-interval', '3600000'])
    })
    after(async () => {
      await flocker?.stop()
      await engine?.close()
    })

    test('the chunks of three 512 MB exports are freed as they go, not held until a major GC', async () => {
      const pid = flocker.process.pid!
      const before = rssMb(pid)
      let peak = before
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10)
      const streams: number[] = []
      try {
        for (let i = 0; i < 3; i++) streams.push(await exported(flocker.port))
      } finally {
        clearInterval(sampler)
      }
      console.log(
        `figure: three 512 MB exports on ${runtime}: RSS ${before.toFixed(0)} MB before, peak ${
          peak.toFixed(0)
        } MB`,
      )
      assert.deepEqual(streams, [512 * MB, 512 * MB, 512 * MB])
      assert.ok(peak - before < 170, `RSS grew by ${(peak - before).toFixed(0)} MB`)
    })
  })
}
