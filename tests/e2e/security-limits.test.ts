import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import {
  commandFor,
  freePort,
  type RunningFlocker,
  runtimes,
  spawnUntilListening,
  startFlocker,
} from '../support/flocker.ts'
import { eventually } from '../support/eventually.ts'
import { type RecordingEngine, startRecordingEngine } from '../support/recording-engine.ts'

// The front door's limits on each runtime, in front of a fake engine (an endless event flood and
// hijacks held open are what real engines cannot give on demand): live hijacks per identity, /events
// for a client that never reads, slow-loris heads and bodies, and what a caller who is not an admin
// reads in flocker's errors. Nothing reaches the engine that the door refused. No timed assertion:
// the waits are for something to happen, and figures are printed for the README.
const MB = 1024 * 1024
const sha = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`
const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789', root: 'root-token-0123456789' }
const HIJACKS = 2
const IDLE_MS = 1_500

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A raw connection: what it sent first, and whether the server closed it. */
function open(
  port: number,
  request: string,
): { socket: Socket; first: Promise<string>; closed: Promise<string>; text: () => string } {
  const socket = connect(port, '127.0.0.1')
  let all = ''
  socket.on('error', () => {})
  const first = new Promise<string>((resolve) => {
    socket.once('data', (data) => resolve(String(data)))
    socket.once('close', () => resolve(all))
  })
  socket.on('data', (data) => (all += data))
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(all)))
  socket.write(request)
  return { socket, first, closed, text: () => all }
}

const head = (method: string, path: string, token: string, extra = '') =>
  `${method} /v1.41${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n${extra}`

const attach = (token: string) =>
  head(
    'POST',
    '/containers/web/attach?stream=1&stdin=1&stdout=1',
    token,
    'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
  )

let dir: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'door-limits-'))
  writeFileSync(
    join(dir, 'flocker.json'),
    JSON.stringify({
      tokens: Object.entries(TOKENS).map(([identity, token]) => ({ identity, sha256: sha(token) })),
      policy: {
        identities: {
          alice: { groups: { containers: 'write', events: 'read', exec: 'write' } },
          bob: { groups: { containers: 'write' } },
          root: { admin: true },
        },
      },
      limits: { hijacksPerIdentity: HIJACKS, idleMs: IDLE_MS },
    }),
  )
})
after(() => rmSync(dir, { recursive: true, force: true }))

for (const runtime of runtimes()) {
  describe(`front door limits on ${runtime}`, () => {
    let engine: RecordingEngine
    let flocker: RunningFlocker
    const flood = { written: 0, blocked: false }
    before(async () => {
      engine = await startRecordingEngine()
      engine.route((req, res) => {
        if (/\/containers\/(web|[0-9a-f]{64})\/json/.test(req.url ?? '')) {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ Id: 'a'.repeat(64), Name: '/web', Config: { Labels: {} }, State: {} }))
          return true
        }
        if (/\/containers\/json/.test(req.url ?? '')) {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end('[]')
          return true
        }
        if (!/\/events/.test(req.url ?? '')) return false
        // An endless flood of events, written as fast as flocker takes them.
        res.writeHead(200, { 'content-type': 'application/json' })
        let n = 0
        const pump = () => {
          flood.blocked = false
          for (;;) {
            const event = JSON.stringify({
              Type: 'container',
              Action: 'exec_start',
              id: 'a'.repeat(64),
              Actor: { ID: 'a'.repeat(64), Attributes: { name: 'web', pad: 'x'.repeat(900) } },
              time: 1,
              timeNano: 1_000_000_000 + n++,
            }) + '\n'
            flood.written += event.length
            if (!res.write(event)) {
              flood.blocked = true
              return void res.once('drain', pump)
            }
          }
        }
        res.on('close', () => (flood.blocked = false))
        pump()
        return true
      })
      engine.upgrade((_req, socket) => {
        socket.write(
          'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n' +
            'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
        )
        socket.pipe(socket) // echo, held open until the client leaves
      })
      flocker = await startFlocker(runtime, [
        '--node',
        `fake=${engine.url}`,
        '--node',
        'gone=tcp://127.0.0.1:9',
        '--config',
        join(dir, 'flocker.json'),
      ])
    })
    after(async () => {
      await flocker?.stop()
      await engine?.close()
    })

    test(`live hijacks are capped per identity (${HIJACKS}): the next is 429, others unaffected`, async () => {
      const held = [open(flocker.port, attach(TOKENS.alice)), open(flocker.port, attach(TOKENS.alice))]
      for (const { first } of held) assert.match(await first, /^HTTP\/1\.1 101/)
      const attaches = () => engine.seen.filter((s) => s.url.includes('/attach')).length
      const before = attaches()
      const third = open(flocker.port, attach(TOKENS.alice))
      const refused = await third.closed
      assert.match(refused, /^HTTP\/1\.1 429/)
      assert.match(refused, /"message":"flocker: too many live attach\/exec sessions for alice \(limit 2\)/)
      assert.equal(attaches(), before, 'the refused attach never reached the engine')
      const bob = open(flocker.port, attach(TOKENS.bob))
      assert.match(await bob.first, /^HTTP\/1\.1 101/)
      bob.socket.destroy()
      // A closed session frees its slot (once flocker has seen both ends close).
      held[0]!.socket.destroy()
      let again = ''
      for (let i = 0; i < 100 && !again.startsWith('HTTP/1.1 101'); i++) {
        const next = open(flocker.port, attach(TOKENS.alice))
        again = await next.first
        if (again.startsWith('HTTP/1.1 101')) next.socket.destroy()
        else await sleep(100)
      }
      assert.match(again, /^HTTP\/1\.1 101/)
      held[1]!.socket.destroy()
      // Audit lines are written in batches (within 100 ms): wait for the batch.
      await eventually(() => {
        const audit = flocker.output().split('\n').filter((l) => l.startsWith('audit '))
        assert.ok(
          audit.some((l) =>
            /identity=alice client=127\.0\.0\.1 route="POST \/containers\/\{id\}\/attach" decision=allowed host=fake status=/
              .test(l)
          ),
          audit.slice(-5).join('\n'),
        )
        assert.ok(audit.some((l) => /identity=alice .*attach" decision=refused:429 status=429/.test(l)))
      })
    })

    test('/events for a client that never reads: the hosts are paused, memory stays flat', async () => {
      const pid = flocker.process.pid!
      const rssBefore = rssMb(pid)
      const client = open(flocker.port, head('GET', '/events', TOKENS.alice, '\r\n'))
      client.socket.pause() // never reads
      await sleep(6_000)
      const rssStalled = rssMb(pid)
      const written = flood.written
      console.log(
        `figure: /events never read on ${runtime}: RSS ${rssBefore.toFixed(0)} MB before, ` +
          `${rssStalled.toFixed(0)} MB after 6 s; the engine wrote ${
            (written / MB).toFixed(1)
          } MB, then was held`,
      )
      assert.ok(flood.blocked, 'the engine is held back (its writes wait for drain)')
      assert.ok(written < 64 * MB, `the engine wrote ${written} bytes`)
      assert.ok(rssStalled - rssBefore < 64, `RSS grew by ${rssStalled - rssBefore} MB`)
      client.socket.destroy()
    })

    test('a request head that never ends is closed (slow loris)', async () => {
      const { closed } = open(flocker.port, 'POST /v1.41/containers/create HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      const answer = await closed
      assert.doesNotMatch(answer, /^HTTP\/1\.1 [23]/)
    })

    test('a create body that trickles is answered 408 and nothing is created', async () => {
      const client = open(
        flocker.port,
        head('POST', '/containers/create?name=slow', TOKENS.alice) +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Ima',
      )
      let answer = await client.first
      for (let i = 0; i < 50 && !answer.includes('}'); i++) await sleep(100)
      answer = client.text()
      client.socket.destroy()
      assert.match(answer, /^HTTP\/1\.1 408/)
      assert.match(answer, /"message":"flocker: request body timed out"/)
      assert.ok(
        !engine.seen.some((s) => s.url.includes('/containers/create')),
        'no create reached the engine',
      )
    })

    test('an Upgrade body that trickles is not waited for', async () => {
      const { closed } = open(
        flocker.port,
        head('POST', '/exec/abc/start', TOKENS.alice) +
          'Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 100\r\n\r\n{"De',
      )
      await closed
      assert.ok(!engine.seen.some((s) => s.url.includes('/exec/')), 'nothing reached the engine')
    })

    test('client Authorization, Proxy-Authorization, Connection-named headers and X-Forwarded-For stop at flocker', async () => {
      // Raw, since fetch will not send a Connection header of the client's choosing.
      const client = open(
        flocker.port,
        head('POST', '/containers/web/kill', TOKENS.alice) + 'Content-Length: 0\r\n' +
          'Proxy-Authorization: Basic c2VjcmV0\r\nX-Forwarded-For: 10.6.6.6\r\nX-Secret: named\r\n' +
          'Connection: x-secret, close\r\nCookie: session=1\r\n\r\n',
      )
      assert.match(await client.closed, /^HTTP\/1\.1 404/) // the fake engine's answer to kill
      const seen = engine.seen.filter((s) => s.url.includes('/kill')).at(-1)!
      for (const name of ['authorization', 'proxy-authorization', 'x-secret', 'cookie']) {
        assert.equal(seen.headers[name], undefined, name)
      }
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
    })

    test('an update adding devices is refused by rule, and never reaches the engine', async () => {
      const response = await fetch(`http://127.0.0.1:${flocker.port}/v1.41/containers/web/update`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ DeviceCgroupRules: ['c 1:3 rwm'] }),
      })
      assert.equal(response.status, 403)
      assert.match(await response.text(), /rule devices/)
      assert.ok(!engine.seen.some((s) => s.url.includes('/update')))
    })

    test('a caller who is not an admin reads no address or errno text; an admin reads them', async () => {
      const ask = async (token: string, path: string) => {
        const response = await fetch(`http://127.0.0.1:${flocker.port}/v1.41${path}`, {
          headers: { authorization: `Bearer ${token}` },
        })
        return { status: response.status, text: await response.text(), headers: response.headers }
      }
      const address = /127\.0\.0\.1|E[A-Z]{4,}|tcp:\/\//
      for (
        const path of ['/containers/gone/web/json', '/containers/json?all=1', '/containers/nothere/json']
      ) {
        const alice = await ask(TOKENS.alice, path)
        const seen = `${alice.status} ${alice.text} ${alice.headers.get('x-flocker-missing-hosts') ?? ''}`
        assert.doesNotMatch(seen, address, seen)
        const root = await ask(TOKENS.root, path)
        console.log(
          `admin reads: ${root.status} ${root.text.slice(0, 200)} ${
            root.headers.get('x-flocker-missing-hosts') ?? ''
          }`,
        )
      }
      const gone = await ask(TOKENS.alice, '/containers/gone/web/json')
      assert.ok(gone.status >= 500, gone.text)
      assert.match(gone.text, /gone/)
      const list = await ask(TOKENS.alice, '/containers/json?all=1')
      assert.equal(list.status, 200)
      assert.match(list.headers.get('x-flocker-missing-hosts') ?? '', /^gone \((no answer|unhealthy)\)$/)
    })
  })
}

/** Runs a command that is expected to exit by itself: its exit code and everything it printed. */
function runToExit(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })))
}

for (const runtime of runtimes()) {
  describe(`listener locks on ${runtime}`, () => {
    test('a network address without TLS verification or tokens does not start, naming the way out', async () => {
      const [command, base] = commandFor(runtime)
      const port = await freePort()
      const { code, output } = await runToExit(command, [...base, '-H', `tcp://0.0.0.0:${port}`])
      assert.notEqual(code, 0, output)
      assert.match(output, /--allow-insecure-tcp/)
      assert.doesNotMatch(output, /listening on/)
    })

    test('a unix socket is 0660, and one that still answers is never unlinked', async () => {
      const socket = join(dir, `${runtime}.sock`)
      const [command, base] = commandFor(runtime)
      const first = await spawnUntilListening('flocker', command, [...base, '-H', `unix://${socket}`])
      try {
        assert.equal(statSync(socket).mode & 0o777, 0o660)
        const { code, output } = await runToExit(command, [...base, '-H', `unix://${socket}`])
        assert.notEqual(code, 0, output)
        const ping = await new Promise<string>((resolve) => {
          const client = connect(socket)
          let answer = ''
          client.on('data', (d) => (answer += d))
          client.on('close', () => resolve(answer))
          client.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n')
        })
        assert.match(ping, /^HTTP\/1\.1 (200|503)/, 'the first flocker still answers on its socket')
      } finally {
        await first.stop()
      }
    })
  })
}
