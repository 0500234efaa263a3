import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { before, describe, test } from 'node:test'
import { DOCKER, docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { flockerForSuite, runtimes } from '../support/flocker.ts'
import { run } from '../support/run.ts'

/** Runs a docker command under a pseudo-terminal (util-linux script), as a user at a terminal would. */
function dockerTty(host: string, command: string, input?: string) {
  return run('script', ['-qec', `${DOCKER} ${command}`, '/dev/null'], {
    env: { DOCKER_HOST: host },
    input,
    timeout: 90_000,
  })
}

/** Starts a long-running docker command and collects its stdout as it arrives. */
function follow(host: string, args: string[]) {
  const child = spawn(DOCKER, args, { env: { ...process.env, DOCKER_HOST: host }, stdio: 'pipe' })
  let out = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (out += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const engines = enginesForFile(1)

for (const runtime of runtimes()) {
  describe(`core streams on ${runtime}`, () => {
    const flocker = flockerForSuite(runtime, engines, `core-${runtime}-`)
    let host: string
    const name = (what: string) => `core-${runtime}-${what}`
    before(() => {
      host = flocker().dockerHost
    })

    test('HEAD /_ping carries API-Version and OSType', async () => {
      const response = await fetch(`http://127.0.0.1:${flocker().port}/_ping`, { method: 'HEAD' })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('api-version'), '1.41')
      assert.equal(response.headers.get('ostype'), 'linux')
    })

    test('an endpoint flocker does not know gets the engine answer', async () => {
      const response = await fetch(`http://127.0.0.1:${flocker().port}/v1.41/no/such/endpoint`)
      assert.equal(response.status, 404)
      assert.equal((await response.json()).message, 'page not found')
    })

    test('info, ps -a and images answer', async () => {
      const info = await dockerOk(host, ['info', '--format', '{{.OSType}}'])
      assert.equal(info.trim(), 'linux')
      await dockerOk(host, ['ps', '-a'])
      const images = await dockerOk(host, ['images', '--format', '{{.Repository}}:{{.Tag}}'])
      assert.match(images, /busybox:local/)
    })

    test('run -t under a pseudo-terminal prints and keeps the exit code', async () => {
      const result = await dockerTty(
        host,
        `run --rm -t ${NET.join(' ')} ${IMAGE} sh -c "echo tty-ok; exit 4"`,
      )
      assert.equal(result.code, 4, result.out + result.err)
      assert.match(result.out, /tty-ok/)
    })

    test('exec -it under a pseudo-terminal, exec -i with piped stdin', async () => {
      await dockerOk(host, ['run', '-d', '--name', name('exec'), ...NET, IMAGE, 'sleep', '300'])
      const tty = await dockerTty(host, `exec -it ${name('exec')} sh -c "echo exec-tty; exit 5"`)
      assert.equal(tty.code, 5, tty.out + tty.err)
      assert.match(tty.out, /exec-tty/)
      const piped = await dockerOk(host, ['exec', '-i', name('exec'), 'cat'], { input: 'piped in\n' })
      assert.equal(piped, 'piped in\n')
      await dockerOk(host, ['rm', '-f', name('exec')])
    })

    test('start -a, attach to a running container, logs -f of a live container', async () => {
      await dockerOk(host, ['create', '--name', name('start'), ...NET, IMAGE, 'echo', 'started'])
      assert.equal(await dockerOk(host, ['start', '-a', name('start')]), 'started\n')
      await dockerOk(host, ['rm', name('start')])

      // It ticks until told to stop, so the checks below never race its end.
      const script =
        'i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo tick$i; sleep 1; done; echo last; exit 7'
      await dockerOk(host, ['run', '-d', '--name', name('live'), ...NET, IMAGE, 'sh', '-c', script])
      const logs = follow(host, ['logs', '-f', name('live')])
      const attach = follow(host, ['attach', '--no-stdin', name('live')])
      await until('logs -f output while the container runs', () => logs.output().includes('tick1'))
      await until('attach output while the container runs', () => attach.output().includes('tick'))
      const running = await dockerOk(host, ['inspect', '-f', '{{.State.Running}}', name('live')])
      assert.equal(running.trim(), 'true', 'output arrived while the container ran')
      await dockerOk(host, ['exec', name('live'), 'touch', '/tmp/stop'])
      assert.equal(await logs.exited, 0)
      assert.match(logs.output(), /tick1\n[^]*last\n$/)
      assert.equal(await attach.exited, 7)
      assert.match(attach.output(), /last\n$/)
      await dockerOk(host, ['rm', name('live')])
    })

    test('events --since/--until returns the bounded events', async () => {
      const since = Math.floor(Date.now() / 1000) - 1
      await dockerOk(host, ['run', '--rm', '--name', name('ev'), ...NET, IMAGE, 'true'])
      const until = Math.floor(Date.now() / 1000) + 1
      const out = await dockerOk(host, [
        'events',
        '--since',
        String(since),
        '--until',
        String(until),
        '--filter',
        `container=${name('ev')}`,
        '--format',
        '{{.Action}}',
      ], { timeout: 60_000 })
      assert.match(out, /start/)
      assert.match(out, /die/)
    })

    test('a 20 MB stdin to stdout round trip through run -i is byte-exact', async () => {
      const data = randomBytes(20 * 1024 * 1024)
      const result = await docker(host, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
        input: data,
        timeout: 180_000,
      })
      assert.equal(result.code, 0, result.err)
      assert.equal(result.stdout.byteLength, data.byteLength)
      assert.equal(sha256(result.stdout), sha256(data))
    })

    test('an attach idle for 15 seconds is not cut', async () => {
      const out = await dockerOk(host, ['run', '--rm', ...NET, IMAGE, 'sh', '-c', 'sleep 15; echo awake'], {
        timeout: 120_000,
      })
      assert.equal(out, 'awake\n')
    })
  })
}
