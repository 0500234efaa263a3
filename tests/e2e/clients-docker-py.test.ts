import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { before, describe, test } from 'node:test'
import { IMAGE } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { flockerForSuite, runtimes } from '../support/flocker.ts'
import { run } from '../support/run.ts'

/**
 * docker-py (Debian's python3-docker, run by Debian's /usr/bin/python3: the python3 on PATH may be
 * another one without the module) through flocker, on each runtime. The script prints what it saw.
 */

const PYTHON = process.env.DOCKER_PY_PYTHON ?? '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('./fixtures/docker_py_check.py', import.meta.url))

before(() => {
  assert.ok(existsSync(PYTHON), `${PYTHON} missing: apt-get install python3-docker`)
})
const engines = enginesForFile(1)

for (const runtime of runtimes()) {
  describe(`docker-py through flocker on ${runtime}`, () => {
    const flocker = flockerForSuite(runtime, engines, 'dockerpy-')

    test('ping, version, run, attach socket, exec_run, images.list', async () => {
      const result = await run(PYTHON, [SCRIPT, flocker().dockerHost, IMAGE], { timeout: 180_000 })
      assert.equal(result.code, 0, `docker_py_check.py failed:\n${result.err}${result.out}`)
      const seen = JSON.parse(result.out)
      assert.deepEqual(seen, {
        ping: true,
        api_version: '1.41',
        run_output: 'hello from docker-py\n',
        attach_output: 'through the socket\n',
        exec_code: 4,
        exec_output: 'exec says hi\n',
        inspect_running: true,
        image_tags: ['busybox:latest', 'busybox:local'],
      })
    })
  })
}
