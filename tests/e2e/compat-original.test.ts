import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import type { Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { commandFor, type RuntimeName, runtimes } from '../support/flocker.ts'

/**
 * The original flocker's own three-node scenario, run by a program written in its style
 * (fixtures/original-style.mjs) with the real docker CLI through `dockers.handle(req, res)` on a
 * node:http server of the program's own.
 */
let engines: LocalEngines
let servers: { hostname: string; docker: string }[]

before(async () => {
  engines = await startEngines(3)
  servers = engines.engines.map((engine) => ({
    hostname: engine.name,
    docker: engine.url.replace(/^tcp:\/\//, ''),
  }))
})
after(async () => {
  await engines?.down()
})

const STUBS = ['stub1', 'stub2', 'stub3']
const EXTRA = ['stub3cat', 'stub2att', 'stub1att', 'other1']

describe('the original flocker API (flocker/compat) through handle(req, res) on Node', () => {
  let fixture: {
    dockers: {
      find(name: string, cb: (err: unknown, server?: { hostname: string; docker: string }) => void): void
      close(): Promise<void>
    }
    server: Server
    started: string[]
  }
  let proxy: string
  const engineHost = (i: number) => engines.engines[i - 1]!.url

  before(async () => {
    process.env.FLOCKER_TEST_SERVERS = JSON.stringify(servers)
    fixture = await import('./fixtures/original-style.mjs' as string)
    if (!fixture.server.listening) await once(fixture.server, 'listening')
    proxy = `tcp://127.0.0.1:${(fixture.server.address() as { port: number }).port}`
  })
  after(async () => {
    for (const [i] of engines.engines.entries()) {
      await docker(engineHost(i + 1), ['rm', '-f', ...STUBS, ...EXTRA])
    }
    fixture?.server.closeAllConnections()
    fixture?.server.close()
    await fixture?.dockers.close()
  })

  const find = (name: string) =>
    new Promise<{ hostname: string; docker: string } | undefined>((resolve, reject) =>
      fixture.dockers.find(name, (err, server) => err ? reject(err) : resolve(server))
    )

  test('stub1..3 are created and started on node1..3, routed by the digit in their name', async () => {
    for (const name of STUBS) {
      await dockerOk(proxy, ['run', '-d', '--name', name, ...NET, IMAGE, 'sleep', '600'])
    }
    for (const [i, name] of STUBS.entries()) {
      const names = await dockerOk(engineHost(i + 1), ['ps', '--format', '{{.Names}}'])
      assert.ok(names.split('\n').includes(name), `${name} runs on node${i + 1}: ${names}`)
    }
    assert.deepEqual(fixture.started, STUBS, 'the start listener saw each boot record')
  })

  test('the map listener added an environment variable', async () => {
    const env = await dockerOk(engineHost(2), ['inspect', '--format', '{{json .Config.Env}}', 'stub2'])
    assert.ok(JSON.parse(env).includes('TESTAPPLES=20'), env)
    const out = await dockerOk(proxy, ['exec', 'stub1', 'env'])
    assert.match(out, /^TESTAPPLES=20$/m)
  })

  test('docker ps shows name@host', async () => {
    const out = await dockerOk(proxy, ['ps', '--format', '{{.Names}}'])
    for (const [i, name] of STUBS.entries()) assert.match(out, new RegExp(`^${name}@node${i + 1}$`, 'm'))
  })

  test('a duplicate name is refused with the host that holds it', async () => {
    const result = await docker(proxy, ['run', '-d', '--name', 'stub2', ...NET, IMAGE, 'true'])
    assert.notEqual(result.code, 0)
    assert.match(result.err, /stub2/)
    assert.ok(result.err.includes(servers[1]!.docker), result.err)
    assert.ok(result.err.includes('node2'), result.err)
  })

  test('a container without a name is refused, asking for --name', async () => {
    const result = await docker(proxy, ['run', '-d', ...NET, IMAGE, 'true'])
    assert.notEqual(result.code, 0)
    assert.match(result.err, /--name/)
  })

  test('an error thrown in the map listener reaches the docker client', async () => {
    const result = await docker(proxy, ['create', '--name', 'other1', ...NET, IMAGE, 'true'])
    assert.notEqual(result.code, 0)
    assert.match(result.err, /stub name map/)
  })

  test('docker run -i: stdin in, EOF ends it, output out (attach hijacked through handle)', async () => {
    const out = await dockerOk(proxy, ['run', '-i', '--rm', '--name', 'stub3cat', ...NET, IMAGE, 'cat'], {
      input: 'through the old api\n',
    })
    assert.equal(out, 'through the old api\n')
  })

  test('docker start -a -i (attach, then start with the start listener)', async () => {
    await dockerOk(proxy, ['create', '-i', '--name', 'stub2att', ...NET, IMAGE, 'cat'])
    const out = await dockerOk(proxy, ['start', '-a', '-i', 'stub2att'], { input: 'attached\n' })
    assert.equal(out, 'attached\n')
    assert.ok(fixture.started.includes('stub2att'))
  })

  test('docker attach to a running container sends stdin', async () => {
    // Through an engine directly too, attach may return before printing what came after stdin's
    // EOF (the container's stdin is not StdinOnce): the answer is read from the logs.
    const script = 'read line; echo "got $line"'
    await dockerOk(proxy, ['run', '-d', '-i', '--name', 'stub1att', ...NET, IMAGE, 'sh', '-c', script])
    await dockerOk(proxy, ['attach', 'stub1att'], { input: 'attached\n' })
    let logs = ''
    for (let i = 0; i < 100 && !logs.includes('got attached'); i++) {
      logs = await dockerOk(proxy, ['logs', 'stub1att'])
    }
    assert.equal(logs, 'got attached\n')
  })

  test('docker exec -i through handle', async () => {
    const out = await dockerOk(proxy, ['exec', '-i', 'stub3', 'sh', '-c', 'cat; echo done'], {
      input: 'exec in\n',
    })
    assert.equal(out, 'exec in\ndone\n')
  })

  test('find(name, cb) answers the server in the old shape', async () => {
    assert.deepEqual(await find('stub1'), servers[0])
    assert.equal((await find('stub3'))?.hostname, 'node3')
    assert.equal(await find('no-such-stub'), undefined)
  })
})

/** Runs a fixture on a runtime the way flocker itself is run there (same flags, same permissions). */
async function startFixture(runtime: RuntimeName, fixture: string, env: Record<string, string>) {
  const [command, base] = commandFor(runtime)
  const args = [...base.slice(0, -1), new URL(`./fixtures/${fixture}`, import.meta.url).pathname]
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${fixture} on ${runtime} did not start:\n${output}`)),
      60_000,
    )
    child.stdout!.on('data', () => output.includes('handle: ') && (clearTimeout(timer), resolve()))
    child.once(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`${fixture} exited ${code}:\n${output}`))),
    )
  })
  const address = (label: string) => output.match(new RegExp(`^${label}: (\\S+)$`, 'm'))![1]!
  return { child, listen: address('listen'), handle: address('handle') }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve()
  const exited = once(child, 'exit').then(() => {})
  child.kill('SIGTERM')
  return exited
}

for (const runtime of runtimes()) {
  describe(`the original API served by dockers.listen() on ${runtime}`, () => {
    let fixture: Awaited<ReturnType<typeof startFixture>>
    const name = `${runtime}3`
    before(async () => {
      fixture = await startFixture(runtime, 'listen-style.mjs', {
        FLOCKER_TEST_SERVERS: JSON.stringify(servers),
      })
    })
    after(async () => {
      await docker(engines.engines[2]!.url, ['rm', '-f', name])
      await stop(fixture?.child)
    })

    test('route, map and name@host through listen()', async () => {
      await dockerOk(fixture.listen, ['run', '-d', '--name', name, ...NET, IMAGE, 'sleep', '600'])
      const ps = await dockerOk(fixture.listen, ['ps', '--format', '{{.Names}}'])
      assert.match(ps, new RegExp(`^${name}@node3$`, 'm'))
      const out = await dockerOk(fixture.listen, ['exec', '-i', name, 'sh', '-c', 'cat; env'], {
        input: 'in\n',
      })
      assert.match(out, /^in$/m)
      assert.match(out, /^TESTAPPLES=20$/m)
    })

    test('docker run -i through listen()', async () => {
      const out = await dockerOk(fixture.listen, [
        'run',
        '-i',
        '--rm',
        '--name',
        `${runtime}1i`,
        ...NET,
        IMAGE,
        'cat',
      ], {
        input: 'listened\n',
      })
      assert.equal(out, 'listened\n')
    })

    test(`handle() on ${runtime}: plain requests work${runtime === 'node' ? ', and attach' : '; attach is refused with a pointer to listen()'}`, async () => {
      const ps = await dockerOk(fixture.handle, ['ps', '--format', '{{.Names}}'])
      assert.match(ps, new RegExp(`^${name}@node3$`, 'm'))
      const result = await docker(fixture.handle, ['exec', '-i', name, 'cat'], { input: 'handled\n' })
      if (runtime === 'node') {
        assert.equal(result.out, 'handled\n')
      } else {
        assert.notEqual(result.code, 0)
        // The CLI prints only the status of a refused upgrade; the body says to use listen().
        assert.match(result.err, /501/)
      }
    })
  })
}
