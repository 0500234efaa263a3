import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import {
  commandFor,
  type RunningFlocker,
  runtimes,
  spawnUntilListening,
  startFlocker,
} from '../support/flocker.ts'

// One real dockerd with --tlsverify (certificates made by scripts/local-flock.sh with openssl).
let engines: LocalEngines
let certs: string
before(async () => {
  certs = mkdtempSync(join(tmpdir(), 'core-tls-'))
  engines = await startEngines(1, {}, { registry: false, tlsDir: certs })
})
after(async () => {
  await engines?.down()
  rmSync(certs, { recursive: true, force: true })
})

test('the engine really demands client certificates', async () => {
  const url = engines.engines[0]!.url
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const withoutCerts = await fetch(url.replace('https:', 'http:') + '/_ping').then((r) => r.status, () => 0)
  assert.notEqual(withoutCerts, 200)
})

for (const runtime of runtimes()) {
  describe(`TLS hosts on ${runtime}`, () => {
    let flocker: RunningFlocker
    before(async () => {
      const node = engines.engines[0]!
      flocker = await startFlocker(runtime, ['--node', `tls1=${node.url}`, '--tlscerts', certs])
    })
    after(async () => {
      await flocker?.stop()
    })

    test('docker run --rm over TLS', async () => {
      const out = await dockerOk(flocker.dockerHost, ['run', '--rm', ...NET, IMAGE, 'echo', 'over tls'])
      assert.equal(out, 'over tls\n')
    })

    test('run -i hijacks over TLS, stdin EOF passes', async () => {
      const input = 'through a TLS splice\n'.repeat(1000)
      const out = await dockerOk(flocker.dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], { input })
      assert.equal(out, input)
    })

    test('docker info names the TLS host', async () => {
      const out = await dockerOk(flocker.dockerHost, ['info'])
      assert.match(out, /tls1/)
    })
  })
}

test('deno task start: the permissions deno.json declares cover unix sockets and cert files', {
  skip: !runtimes().includes('deno'),
}, async () => {
  const socket = join(certs, 'task.sock')
  const [deno] = commandFor('deno')
  const flocker = await spawnUntilListening('deno task start', deno, [
    'task',
    'start',
    '-H',
    `unix://${socket}`,
    '--node',
    `tls1=${engines.engines[0]!.url}`,
    '--tlscerts',
    certs,
  ])
  try {
    const input = 'deno task\n'
    const out = await dockerOk(`unix://${socket}`, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], { input })
    assert.equal(out, input)
  } finally {
    await flocker.stop()
  }
})
