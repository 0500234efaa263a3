import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { IMAGE } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { flockerForSuite, runtimes } from '../support/flocker.ts'
import { run } from '../support/run.ts'

/**
 * testcontainers (Node) through flocker, on each runtime. The library runs in a child process per
 * flocker because it reads DOCKER_HOST once and caches its client for the life of the process.
 */

const SCRIPT = fileURLToPath(new URL('./fixtures/testcontainers-check.ts', import.meta.url))

const engines = enginesForFile(1)

for (const runtime of runtimes()) {
  describe(`testcontainers through flocker on ${runtime}`, () => {
    const flocker = flockerForSuite(runtime, engines, 'tc-')

    test('GenericContainer: copy in, wait for a log line, exec, logs, stop', async () => {
      const result = await run(process.execPath, ['--import', 'tsx', SCRIPT, IMAGE], {
        timeout: 180_000,
        env: {
          DOCKER_HOST: flocker().dockerHost,
          // Ryuk (the reaper) is a helper container that needs a bridge network and its image.
          TESTCONTAINERS_RYUK_DISABLED: 'true',
        },
      })
      assert.equal(result.code, 0, `testcontainers-check failed:\n${result.err}${result.out}`)
      const lastLine = result.out.trim().split('\n').at(-1)!
      assert.deepEqual(JSON.parse(lastLine), {
        exec: { stdout: 'copied in\n', stderr: 'to stderr\n', exitCode: 2 },
        logs: 'container is ready\n',
      })
    })
  })
}
