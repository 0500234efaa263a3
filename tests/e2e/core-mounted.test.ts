import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import {
  freePort,
  type RunningProcess,
  runtimes,
  scriptCommand,
  spawnUntilListening,
} from '../support/flocker.ts'
import { run } from '../support/run.ts'

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url))
const engines = enginesForFile(1)

for (const runtime of runtimes()) {
  describe(`flocker mounted under /docker in an outer Hono app on ${runtime}`, () => {
    let app: RunningProcess
    let port: number
    let dockerHost: string
    before(async () => {
      port = await freePort()
      const [command, args] = scriptCommand(runtime, `${EXAMPLES}mounted.ts`)
      app = await spawnUntilListening(`examples/mounted.ts on ${runtime}`, command, args, {
        PORT: String(port),
        FLOCKER_NODES: engines().engines.map((e) => e.flag).join(','),
      })
      dockerHost = `tcp://127.0.0.1:${port}/docker`
    })
    after(async () => {
      await app?.stop()
    })

    test('the outer app keeps its own routes', async () => {
      const home = await fetch(`http://127.0.0.1:${port}/`)
      assert.match(await home.text(), /docker flock under \/docker/)
      const hosts = await fetch(`http://127.0.0.1:${port}/hosts`).then((r) => r.json())
      assert.equal(hosts.length, 1)
    })

    test('docker ps and run -i (hijack through the outer router) under the prefix', async () => {
      await dockerOk(dockerHost, ['ps', '-a'])
      const input = 'mounted\n'.repeat(100)
      const out = await dockerOk(dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], { input })
      assert.equal(out, input)
    })

    test('examples/embedded.ts answers through app.fetch', async () => {
      const [command, args] = scriptCommand(runtime, `${EXAMPLES}embedded.ts`)
      const result = await run(command, args, {
        env: { FLOCKER_NODES: engines().engines.map((e) => e.flag).join(',') },
      })
      assert.equal(result.code, 0, result.err)
      assert.match(result.out, /containers on 1 hosts/)
    })
  })
}
