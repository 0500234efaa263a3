/**
 * Pulls, the CLI's create -> 404 -> pull -> create dance (with a registry that needs a login),
 * builds and the other image commands, through flocker on each runtime, against three engines.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { holdersOf, startAuthRegistry, whereIs } from './placement-support.ts'

let engines: LocalEngines
let authRegistry: Awaited<ReturnType<typeof startAuthRegistry>>
let dockerConfig: string
const env = () => ({ DOCKER_CONFIG: dockerConfig })
const engine = (i: number) => engines.engines[i - 1]!.url

/** Puts busybox:local in a registry as `ref`, and leaves no engine holding `ref`. */
async function publish(ref: string) {
  await dockerOk(engine(1), ['tag', IMAGE, ref])
  await dockerOk(engine(1), ['push', ref], { env: env() })
  await dockerOk(engine(1), ['rmi', ref])
}

async function removeEverywhere(...refs: string[]) {
  for (const e of engines.engines) await docker(e.url, ['rmi', '-f', ...refs])
}

before(async () => {
  engines = await startEngines(3)
  authRegistry = await startAuthRegistry('alice', 'secret')
  dockerConfig = mkdtempSync(join(tmpdir(), 'flocker-dockercfg-'))
  await dockerOk(engine(1), ['login', authRegistry.address, '-u', 'alice', '--password-stdin'], {
    input: 'secret',
    env: env(),
  })
  await publish(`${engines.registry}/pullme:1`)
  await publish(`${authRegistry.address}/private:1`)
})
after(async () => {
  await authRegistry?.stop()
  await engines?.down()
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true })
})

for (const runtime of runtimes()) {
  describe(`images and builds on ${runtime}`, () => {
    let flocker: RunningFlocker
    before(async () => {
      flocker = await startFlocker(runtime, engines.engines.map((e) => `--node=${e.flag}`))
    })
    after(async () => {
      await flocker?.stop()
    })

    test('docker pull lands on every host, one progress stream naming each host', async () => {
      const ref = `${engines.registry}/pullme:1`
      try {
        const out = await dockerOk(flocker.dockerHost, ['pull', ref])
        for (const node of ['node1', 'node2', 'node3']) assert.match(out, new RegExp(`${node}: `))
        assert.deepEqual(await holdersOf(engines, ref), ['node1', 'node2', 'node3'])
      } finally {
        await removeEverywhere(ref)
      }
    })

    test('a pull that fails is reported, not swallowed', async () => {
      const result = await docker(flocker.dockerHost, ['pull', `${engines.registry}/nothing-here:1`])
      assert.notEqual(result.code, 0)
      assert.match(result.err + result.out, /not found|manifest unknown/i)
    })

    test('docker run of a private image after docker login: the pull goes where the container goes', async () => {
      const ref = `${authRegistry.address}/private:1`
      const name = `private-${runtime}`
      await dockerOk(flocker.dockerHost, ['login', authRegistry.address, '-u', 'alice', '--password-stdin'], {
        input: 'secret',
        env: env(),
      })
      try {
        const result = await docker(
          flocker.dockerHost,
          ['run', '--name', name, ...NET, '-e', 'constraint:node==node2', ref, 'echo', 'from the registry'],
          { env: env(), timeout: 120_000 },
        )
        assert.equal(result.code, 0, result.err)
        assert.equal(result.out.split('\n').filter((l) => l === 'from the registry').length, 1, result.out)
        assert.match(result.err, /Unable to find image/)
        assert.deepEqual(await whereIs(engines, name), ['node2'])
        assert.deepEqual(await holdersOf(engines, ref), ['node2'])
      } finally {
        await docker(flocker.dockerHost, ['rm', '-f', name])
        await removeEverywhere(ref)
      }
    })

    test('docker build goes to one host (constraints in build args); run of the tag lands there', async () => {
      const tag = `built-${runtime}:1`
      const name = `runs-built-${runtime}`
      try {
        await dockerOk(
          flocker.dockerHost,
          ['build', '-t', tag, '--build-arg', 'constraint:node==node3', '-'],
          {
            input: `FROM ${IMAGE}\nLABEL built=yes\nCMD ["echo", "built here"]\n`,
          },
        )
        assert.deepEqual(await holdersOf(engines, tag), ['node3'])
        const out = await dockerOk(flocker.dockerHost, ['run', '--name', name, ...NET, tag])
        assert.equal(out, 'built here\n')
        assert.deepEqual(await whereIs(engines, name), ['node3'])
      } finally {
        await docker(flocker.dockerHost, ['rm', '-f', name])
        await removeEverywhere(tag)
      }
    })

    if (runtime !== runtimes()[0]) return

    test('load lands on every host; tag and rmi act on every holder; push from a holder', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flocker-load-'))
      const archive = join(dir, 'image.tar')
      const pushed = `${engines.registry}/pushed:1`
      try {
        await dockerOk(engine(1), ['tag', IMAGE, 'loadme:1'])
        await dockerOk(engine(1), ['save', '-o', archive, 'loadme:1'])
        await dockerOk(engine(1), ['rmi', 'loadme:1'])
        const loaded = await dockerOk(flocker.dockerHost, ['load', '-i', archive])
        assert.match(loaded, /Loaded image: loadme:1/)
        assert.deepEqual(await holdersOf(engines, 'loadme:1'), ['node1', 'node2', 'node3'])

        await dockerOk(engine(2), ['rmi', 'loadme:1'])
        await dockerOk(flocker.dockerHost, ['tag', 'loadme:1', pushed])
        assert.deepEqual(await holdersOf(engines, pushed), ['node1', 'node3'])
        const push = await dockerOk(flocker.dockerHost, ['push', pushed])
        assert.match(push, /digest: sha256:/)

        await dockerOk(flocker.dockerHost, ['rmi', 'loadme:1', pushed])
        assert.deepEqual(await holdersOf(engines, 'loadme:1'), [])
        assert.deepEqual(await holdersOf(engines, pushed), [])
      } finally {
        rmSync(dir, { recursive: true, force: true })
        await removeEverywhere('loadme:1', pushed)
      }
    })
  })
}
