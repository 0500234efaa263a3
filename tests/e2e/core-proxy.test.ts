import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import { type RecordingEngine, type Seen, startRecordingEngine } from '../support/recording-engine.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'

// flocker in front of a fake engine that records what arrives: headers, framing, disconnects.

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
}

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on(
        'end',
        () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function until(what: string, check: () => boolean) {
  const deadline = Date.now() + 30_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const last = (engine: RecordingEngine, match: string): Seen | undefined =>
  [...engine.seen].reverse().find((seen) => seen.url.includes(match))

let engine: RecordingEngine
before(async () => {
  engine = await startRecordingEngine()
  // Every container reference names the container "x".
  engine.route((req, res) => {
    if (!/^\/containers\/[^/]+\/json$/.test(req.url ?? '')) return false
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ Id: 'x', Name: '/x' }))
    return true
  })
})
after(async () => {
  await engine?.close()
})

for (const runtime of runtimes()) {
  describe(`proxy details on ${runtime}`, () => {
    let flocker: RunningFlocker
    before(async () => {
      flocker = await startFlocker(runtime, ['--node', `fake=${engine.url}`])
    })
    after(async () => {
      await flocker?.stop()
    })

    test('X-Registry-Auth and Content-Type reach the engine', async () => {
      engine.route((req, res) => {
        if (!req.url?.includes('/images/create')) return false
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"status":"pulled"}\n')
        return true
      })
      const auth = Buffer.from('{"username":"u","password":"p"}').toString('base64url')
      const answer = await send(
        flocker.port,
        'POST',
        `/v1.41/images/create?fromImage=${runtime}-auth&tag=1`,
        {
          'X-Registry-Auth': auth,
          'Content-Type': 'text/plain',
        },
      )
      assert.equal(answer.status, 200)
      const seen = last(engine, `fromImage=${runtime}-auth`)!
      assert.equal(seen.headers['x-registry-auth'], auth)
      assert.equal(seen.headers['content-type'], 'text/plain')
    })

    test('no body stays no body; a JSON body keeps its exact Content-Length (never chunked)', async () => {
      engine.route((req, res) => {
        if (!/\/containers\/x\/(start|exec)/.test(req.url ?? '')) return false
        res.writeHead(204).end()
        return true
      })
      await send(flocker.port, 'POST', `/v1.41/containers/x/start?${runtime}-nobody`)
      const start = last(engine, `${runtime}-nobody`)!
      assert.equal(start.headers['transfer-encoding'], undefined)
      assert.ok(start.headers['content-length'] === undefined || start.headers['content-length'] === '0')
      assert.equal(start.body.byteLength, 0)

      const json = JSON.stringify({ AttachStdout: true, Cmd: ['true'] })
      await send(flocker.port, 'POST', `/v1.41/containers/x/exec?${runtime}-body`, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(json)),
      }, json)
      const exec = last(engine, `${runtime}-body`)!
      assert.equal(exec.headers['transfer-encoding'], undefined)
      assert.equal(exec.headers['content-length'], String(Buffer.byteLength(json)))
      assert.equal(exec.body.toString(), json)
    })

    test('a gzip answer passes compressed, Accept-Encoding as the client sent it', async () => {
      const archive = gzipSync(Buffer.alloc(100_000, 7))
      engine.route((req, res) => {
        if (!req.url?.includes('/archive')) return false
        res.writeHead(200, { 'content-type': 'application/x-tar', 'content-encoding': 'gzip' })
        res.end(archive)
        return true
      })
      const answer = await send(flocker.port, 'GET', `/v1.41/containers/x/archive?path=/${runtime}`, {
        'accept-encoding': 'gzip',
      })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers['content-encoding'], 'gzip')
      assert.deepEqual(answer.body, archive)
      assert.equal(last(engine, `path=/${runtime}`)!.headers['accept-encoding'], 'gzip')
    })

    test('a streamed head comes at once; a client that leaves frees the engine connection', async () => {
      let engineClosed = false
      engine.route((req, res) => {
        if (!req.url?.includes(`/logs?follow=1&${runtime}`)) return false
        res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' })
        res.flushHeaders()
        res.on('close', () => (engineClosed = true))
        return true // the body never comes: like docker run's /wait, or logs -f of a quiet container
      })
      const req = httpRequest({
        host: '127.0.0.1',
        port: flocker.port,
        path: `/v1.41/containers/x/logs?follow=1&${runtime}`,
        agent: false,
      })
      const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        req.on('response', resolve)
        req.on('error', reject)
        req.end()
      })
      assert.equal(response.statusCode, 200)
      assert.equal(engineClosed, false)
      req.destroy()
      await until('the engine side to close after the client left', () => engineClosed)
    })

    test('an endpoint flocker does not know passes through with the engine answer', async () => {
      const answer = await send(flocker.port, 'GET', `/v1.41/no/such/endpoint-${runtime}`)
      assert.equal(answer.status, 404)
      assert.equal(JSON.parse(answer.body.toString()).message, 'page not found')
    })

    test('a malformed create body is a 400 with a message, not sent on', async () => {
      const before = engine.seen.length
      const answer = await send(flocker.port, 'POST', '/v1.41/containers/create', {
        'content-type': 'application/json',
      }, '{"Image": "busybox", ')
      assert.equal(answer.status, 400)
      assert.match(JSON.parse(answer.body.toString()).message, /invalid JSON/)
      assert.equal(engine.seen.filter((s) => s.url.includes('/containers/create')).length, 0)
      assert.ok(engine.seen.length >= before)
    })

    test('a garbage request line does not crash flocker', async () => {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(flocker.port, '127.0.0.1', () => socket.write('\x00\x01GARBAGE \xff\r\n\r\n'))
        let text = ''
        socket.on('data', (chunk) => (text += chunk))
        socket.on('close', () => resolve(text))
        socket.on('error', reject)
      })
      assert.match(reply, /^HTTP\/1\.1 400/)
      const ping = await send(flocker.port, 'GET', '/_ping')
      assert.equal(ping.status, 200)
      assert.equal(flocker.process.exitCode, null)
    })
  })
}
