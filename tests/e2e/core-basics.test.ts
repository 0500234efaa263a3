import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { flockerForSuite, runtimes } from '../support/flocker.ts'

const engines = enginesForFile(1)

for (const runtime of runtimes()) {
  describe(`core on ${runtime}`, () => {
    const flocker = flockerForSuite(runtime, engines, 'basics-')

    test('docker version answers through flocker', async () => {
      const out = await dockerOk(flocker().dockerHost, ['version', '--format', '{{.Server.APIVersion}}'])
      assert.equal(out.trim(), '1.41')
    })

    test('docker run --rm echo prints the output', async () => {
      const out = await dockerOk(flocker().dockerHost, ['run', '--rm', ...NET, IMAGE, 'echo', 'hello flock'])
      assert.equal(out, 'hello flock\n')
    })

    test('exit codes and stderr come back apart from stdout', async () => {
      const result = await docker(flocker().dockerHost, [
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
      const out = await dockerOk(flocker().dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
        input: 'data\n',
      })
      assert.equal(out, 'data\n')
    })
  })
}
