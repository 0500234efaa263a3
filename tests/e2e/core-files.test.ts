import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DOCKER, docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { flockerForSuite, runtimes } from '../support/flocker.ts'
import { run } from '../support/run.ts'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const engines = enginesForFile(1)
let work: string
before(() => {
  work = mkdtempSync(join(tmpdir(), 'core-files-'))
})
after(() => {
  rmSync(work, { recursive: true, force: true })
})

for (const runtime of runtimes()) {
  describe(`core files and images on ${runtime}`, () => {
    const flocker = flockerForSuite(runtime, engines, `core-${runtime}-`)
    let host: string
    const name = (what: string) => `core-${runtime}-${what}`
    const tag = (what: string) => `core-${runtime}-${what}:1`
    before(() => {
      host = flocker().dockerHost
    })

    test('cp in and out keeps a few MB byte-exact', async () => {
      const dir = mkdtempSync(join(work, `${runtime}-cp-`))
      const data = randomBytes(3 * 1024 * 1024 + 17)
      writeFileSync(join(dir, 'blob.bin'), data)
      await dockerOk(host, ['run', '-d', '--name', name('cp'), ...NET, IMAGE, 'sleep', '300'])
      await dockerOk(host, ['cp', join(dir, 'blob.bin'), `${name('cp')}:/tmp/blob.bin`])
      const inside = await dockerOk(host, ['exec', name('cp'), 'sha256sum', '/tmp/blob.bin'])
      assert.equal(inside.split(' ')[0], sha256(data))
      await dockerOk(host, ['cp', `${name('cp')}:/tmp/blob.bin`, join(dir, 'back.bin')])
      assert.equal(sha256(readFileSync(join(dir, 'back.bin'))), sha256(data))
      await dockerOk(host, ['rm', '-f', name('cp')])
    })

    test('build with the classic builder, then run the built tag', async () => {
      const dir = mkdtempSync(join(work, `${runtime}-build-`))
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM ${IMAGE}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`,
      )
      writeFileSync(join(dir, 'hello.txt'), `built on ${runtime}\n`)
      await dockerOk(host, ['build', '-q', '-t', tag('built'), dir], {
        env: { DOCKER_BUILDKIT: '0' },
        timeout: 120_000,
      })
      assert.equal(await dockerOk(host, ['run', '--rm', ...NET, tag('built')]), `built on ${runtime}\n`)
      await dockerOk(host, ['rmi', tag('built')])
    })

    test('save | load through a pipe, and export', async () => {
      await dockerOk(host, ['tag', IMAGE, tag('saved')])
      const saved = await docker(host, ['save', tag('saved')], { timeout: 120_000 })
      assert.equal(saved.code, 0, saved.err)
      assert.ok(saved.stdout.byteLength > 500_000, 'the saved image holds busybox')
      await dockerOk(host, ['rmi', tag('saved')])
      const loaded = await dockerOk(host, ['load'], { input: saved.stdout, timeout: 120_000 })
      assert.match(loaded, new RegExp(`Loaded image: ${tag('saved')}`))
      await dockerOk(host, ['rmi', tag('saved')])

      await dockerOk(host, ['create', '--name', name('export'), ...NET, IMAGE, 'true'])
      const exported = await run('sh', [
        '-c',
        `${DOCKER} export ${name('export')} | tar -t | grep -c bin/busybox`,
      ], {
        env: { DOCKER_HOST: host },
        timeout: 120_000,
      })
      assert.equal(exported.out.trim(), '1', exported.err)
      await dockerOk(host, ['rm', name('export')])
    })

    test('push to and pull from the local registry', async () => {
      const remote = `${engines().registry}/core-${runtime}/x:1`
      await dockerOk(host, ['tag', IMAGE, remote])
      await dockerOk(host, ['push', remote], { timeout: 120_000 })
      await dockerOk(host, ['rmi', remote])
      await dockerOk(host, ['pull', remote], { timeout: 120_000 })
      assert.equal(await dockerOk(host, ['run', '--rm', ...NET, remote, 'echo', 'pulled']), 'pulled\n')
      await dockerOk(host, ['rmi', remote])
    })
  })
}
