import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'

let engines: LocalEngines
before(async () => {
  engines = await startEngines(1)
})
after(async () => {
  await engines?.down()
})

for (const runtime of runtimes()) {
  describe(`core on ${runtime}`, () => {
    let flocker: RunningFlocker
    before(async () => {
      flocker = await startFlocker(runtime, engines.engines.map((e) => `--node=${e.flag}`))
    })
    after(async () => {
      await flocker?.stop()
    })

    test('docker version answers through flocker', async () => {
      const out = await dockerOk(flocker.dockerHost, ['version', '--format', '{{.Server.APIVersion}}'])
      assert.equal(out.trim(), '1.41')
    })

    test('docker run --rm echo prints the output', async () => {
      const out = await dockerOk(flocker.dockerHost, ['run', '--rm', ...NET, IMAGE, 'echo', 'hello flock'])
      assert.equal(out, 'hello flock\n')
    })

    test('exit codes and stderr come back apart from stdout', async () => {
      const result = await docker(flocker.dockerHost, [
        'run',
        '--rm',
        ...NET,
        IMAGE,
        'sh',
        '-c',
        'echo out; echo err >&2; exit 3',
      ])
      assert.equal(result.code, 3)
      assert.equal(result.out, 'out\n')
      assert.equal(result.err, 'err\n')
    })

    test('stdin reaches the container and EOF ends it (half-close)', async () => {
      const out = await dockerOk(flocker.dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
        input: 'data\n',
      })
      assert.equal(out, 'data\n')
    })
  })
}
