import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import {
  freePort,
  type RunningProcess,
  runtimes,
  scriptCommand,
  spawnUntilListening,
} from '../support/flocker.ts'

const APP = fileURLToPath(new URL('./fixtures/middleware-app.ts', import.meta.url))
const TOKEN = 'tok-' + Math.random().toString(36).slice(2)
const engines = enginesForFile(1)

/** attach and exec through an outer app whose middleware re-creates every Response (issue 8's bug). */
for (const runtime of runtimes()) {
  describe(`attach and exec behind cors, logger, bearerAuth and a late header on ${runtime}`, () => {
    let app: RunningProcess
    let port: number
    let dockerHost: string
    let configDir: string
    const name = (what: string) => `mw-${runtime}-${what}`
    // The CLI sends the token on every request, hijacked ones too, from its config's HttpHeaders.
    const withToken = () => ({ env: { DOCKER_CONFIG: configDir } })

    before(async () => {
      configDir = mkdtempSync(join(tmpdir(), 'flocker-mw-'))
      writeFileSync(
        join(configDir, 'config.json'),
        JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${TOKEN}` } }),
      )
      port = await freePort()
      const [command, args] = scriptCommand(runtime, APP)
      app = await spawnUntilListening(`middleware app on ${runtime}`, command, args, {
        PORT: String(port),
        TOKEN,
        FLOCKER_NODES: engines().engines.map((e) => e.flag).join(','),
      })
      dockerHost = `tcp://127.0.0.1:${port}/docker`
    })
    after(async () => {
      if (dockerHost) {
        await docker(dockerHost, ['rm', '-f', name('exec'), name('attach')], withToken())
        await removeContainers(engines().engines[0]!.url, `mw-${runtime}-`)
      }
      await app?.stop()
      rmSync(configDir, { recursive: true, force: true })
    })

    test('without the token the Docker API is refused, with it the outer middleware has run', async () => {
      const refused = await fetch(`http://127.0.0.1:${port}/docker/_ping`)
      assert.equal(refused.status, 401)
      const ping = await fetch(`http://127.0.0.1:${port}/docker/_ping`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
      assert.equal(ping.status, 200)
      assert.equal(ping.headers.get('x-outer'), 'set after next')
      assert.equal(ping.headers.get('access-control-allow-origin'), '*')
      const denied = await docker(dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], { input: 'x' })
      assert.notEqual(denied.code, 0)
    })

    test('docker run -i passes stdin through and back', async () => {
      const input = 'through the middleware\n'.repeat(200)
      const out = await dockerOk(dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
        ...withToken(),
        input,
      })
      assert.equal(out, input)
    })

    test('docker exec -i passes stdin through and back', async () => {
      await dockerOk(
        dockerHost,
        ['run', '-d', '--name', name('exec'), ...NET, IMAGE, 'sleep', '300'],
        withToken(),
      )
      const out = await dockerOk(dockerHost, ['exec', '-i', name('exec'), 'cat'], {
        ...withToken(),
        input: 'exec through the middleware\n',
      })
      assert.equal(out, 'exec through the middleware\n')
    })

    test('docker attach gets the output and the exit code', async () => {
      // The output waits until the engine has announced the attach (its `attach` event): no race.
      const script = 'while [ ! -e /tmp/go ]; do sleep 0.1; done; echo attached-out; exit 3'
      const since = String(Math.floor(Date.now() / 1000) - 1)
      await dockerOk(
        dockerHost,
        ['run', '-d', '--name', name('attach'), ...NET, IMAGE, 'sh', '-c', script],
        withToken(),
      )
      const attaching = docker(dockerHost, ['attach', '--no-stdin', name('attach')], withToken())
      for (;;) {
        const until = String(Math.floor(Date.now() / 1000) + 1)
        const seen = await dockerOk(dockerHost, [
          'events',
          '--since',
          since,
          '--until',
          until,
          '--filter',
          `container=${name('attach')}`,
          '--filter',
          'event=attach',
        ], withToken())
        if (seen.trim()) break
      }
      await dockerOk(dockerHost, ['exec', name('attach'), 'touch', '/tmp/go'], withToken())
      const attached = await attaching
      assert.equal(attached.code, 3, attached.err)
      assert.equal(attached.out, 'attached-out\n')
    })
  })
}
