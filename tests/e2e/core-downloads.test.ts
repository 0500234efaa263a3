import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { FaultEngine } from '../support/fault-engine.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { pourChunked } from '../support/raw-engine.ts'
import { ask } from '../support/raw-http.ts'

// Downloads (logs, export, `cp` out: the route table's `download` rows) through flocker, from an
// engine whose bytes the test writes itself. On Node and Deno they go out framed exactly as the
// engine framed them (runtime/node-compat/raw-download.ts); Bun's server frames them anew: a large engine
// chunk a chunk, a read's small ones one chunk (not one per engine chunk). Either way the client gets every byte, a cut engine is a cut body, and a client that leaves frees the engine.

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n' +
  'Transfer-Encoding: chunked\r\n\r\n'
/** A real engine's logs are a chunk per line; leading zeros and an extension no node:http would write. */
const LINES = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'.'.repeat(i % 60)}\n`)
const FRAMED = LINES.map((line) => `00${line.length.toString(16)};n=1\r\n${line}\r\n`).join('') +
  `8000\r\n${'b'.repeat(0x8000)}\r\n0\r\n\r\n`
const DECODED = LINES.join('') + 'b'.repeat(0x8000)

const DOWNLOADS = {
  logs: '/v1.41/containers/box/logs?stdout=1',
  export: '/v1.41/containers/box/export',
  cp: '/v1.41/containers/box/archive?path=/etc',
}

/** Sends `heads` one by one on one connection, each after the answer before it ended; resolves with all it got. */
function exchange(port: number, heads: readonly string[], ended: (text: string, count: number) => boolean) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let sent = 0
    socket.setEncoding('latin1')
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`closed after ${JSON.stringify(text.slice(-200))}`)))
    socket.on('data', (chunk: string) => {
      text += chunk
      if (!ended(text, sent)) return
      if (sent === heads.length) {
        socket.removeAllListeners('close')
        socket.destroy()
        return resolve(text)
      }
      socket.write(heads[sent++]!)
    })
    socket.write(heads[sent++]!)
  })
}

for (const runtime of runtimes()) {
  describe(`downloads on ${runtime}`, () => {
    let engine: FaultEngine
    let flocker: RunningFlocker
    const raw = runtime !== 'bun'
    before(async () => {
      engine = await new FaultEngine('e1').start()
      engine.containers.add('box')
      flocker = await startFlocker(runtime, [`--node=e1=${engine.url}`])
    })
    after(async () => {
      await flocker?.stop()
      await engine?.stop()
    })

    for (const [kind, path] of Object.entries(DOWNLOADS)) {
      test(`${kind}: every byte, ${raw ? 'framed as the engine framed it' : 'framed anew, small chunks gathered'}; keep-alive goes on`, async () => {
        const pattern = new RegExp(`^/containers/[^/]+/${kind === 'cp' ? 'archive' : kind}$`)
        engine.scripted.splice(0, Infinity, { path: pattern, write: (socket) => socket.end(HEAD + FRAMED) })
        const get = `GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`
        const ping = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'
        // The download's last chunk, then the ping's whole answer.
        const text = await exchange(
          flocker.port,
          [get, ping],
          (all, count) => count === 1 ? all.endsWith('\r\n0\r\n\r\n') : /\r\n\r\nOK$/.test(all),
        )
        const download = text.slice(0, text.lastIndexOf('HTTP/1.1 200'))
        assert.match(download, /^HTTP\/1\.1 200 /)
        assert.match(download, /\r\ntransfer-encoding: chunked\r\n/i)
        const body = download.slice(download.indexOf('\r\n\r\n') + 4)
        if (raw) assert.equal(body, FRAMED)
        else {
          const chunks = chunksOf(body)
          assert.equal(chunks.join(''), DECODED)
          // The engine's 2001 chunks came in a few reads: a write each, not one per engine chunk.
          assert.ok(chunks.length < 200, `${chunks.length} chunks for the engine's ${LINES.length + 1}`)
        }
        assert.equal((await ask(flocker.port, 'GET', path)).body, DECODED)
      })
    }

    test('an engine that stops mid-chunk: the client sees the body cut', async () => {
      engine.scripted.splice(0, Infinity, {
        path: /\/logs$/,
        write: (socket) => {
          socket.write(HEAD + FRAMED.slice(0, 5000))
          setTimeout(() => socket.destroy(), 20)
        },
      })
      const seen = await ask(flocker.port, 'GET', DOWNLOADS.logs)
      assert.equal(seen.status, 200)
      assert.ok(seen.bodyError, 'a cut body must not end cleanly')
      assert.ok(DECODED.startsWith(seen.body))
    })

    test("a client that leaves mid-download closes the engine's connection", async () => {
      let engineSide: Socket | undefined
      const engineClosed = new Promise<void>((resolve) => {
        engine.scripted.splice(0, Infinity, {
          path: /\/export$/,
          write: (socket) => {
            engineSide = socket
            socket.once('close', () => resolve())
            socket.on('error', () => {})
            pourChunked(socket, HEAD)
          },
        })
      })
      const client = connect(flocker.port, '127.0.0.1')
      client.on('error', () => {})
      let received = 0
      client.write(`GET ${DOWNLOADS.export} HTTP/1.1\r\nHost: docker\r\n\r\n`)
      await new Promise<void>((resolve) => {
        client.on('data', (chunk: Buffer) => {
          received += chunk.byteLength
          if (received > 1024 * 1024) resolve()
        })
      })
      client.destroy()
      await engineClosed
      assert.ok(engineSide?.destroyed)
    })
  })
}

/** The data of a chunked body (sizes and CRLFs dropped; no extensions or trailers expected). */
function chunksOf(body: string): string[] {
  const chunks: string[] = []
  for (let at = 0;;) {
    const eol = body.indexOf('\r\n', at)
    const size = parseInt(body.slice(at, eol), 16)
    if (!size) return chunks
    chunks.push(body.slice(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}
