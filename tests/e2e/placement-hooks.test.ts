/**
 * The hooks are code, so flocker runs in this (Node) process here, in front of three real engines.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import type { RouteInfo } from '../../src/hooks.ts'
import { clearContainers, startInProcess, whereIs } from './placement-support.ts'

let engines: LocalEngines
let flocker: Awaited<ReturnType<typeof startInProcess>>
const routed: RouteInfo[] = []
const started: { name: string; image: string; body: Record<string, unknown> }[] = []

before(async () => {
  engines = await startEngines(3)
  flocker = await startInProcess(engines, {
    hooks: {
      // Containers named web-* go to node2; "forbidden" is refused; the rest: the scheduler.
      route(info) {
        routed.push(info)
        if (info.name === 'forbidden') throw new Error('containers may not be called forbidden')
        if (info.name?.startsWith('web-')) return 'node2'
        if (info.kind === 'pull' && info.image.includes('/hooked:')) return 'node3'
        return undefined
      },
      map(name, container, image) {
        if (!name?.startsWith('web-')) return
        const labels = (container.Labels ?? {}) as Record<string, string>
        const config = (image?.Config ?? {}) as { Cmd?: string[] }
        return {
          ...container,
          Env: [...((container.Env as string[]) ?? []), `IMAGE_CMD=${config.Cmd?.join(' ')}`],
          Labels: { ...labels, 'mapped-by': 'flocker' },
        }
      },
      start(name, container, image, body) {
        started.push({ name, image: String(image?.Id), body })
        if (!name.startsWith('web-')) return
        return {
          ...body,
          Dns: ['10.9.8.7'],
          ExtraHosts: [`me:${(container.Config as { Hostname: string }).Hostname.length}.0.0.1`],
        }
      },
    },
  })
})
after(async () => {
  await flocker?.stop()
  await engines?.down()
})
afterEach(async () => {
  await clearContainers(engines)
})

describe('hooks', () => {
  test('route: the hook places the container and sees name, image and body', async () => {
    await dockerOk(flocker.dockerHost, ['create', '--name', 'web-1', ...NET, IMAGE, 'true'])
    assert.deepEqual(await whereIs(engines, 'web-1'), ['node2'])
    const info = routed.find((r) => r.name === 'web-1')!
    assert.equal(info.image, IMAGE)
    assert.equal(info.kind, 'create')
    assert.equal((info.container as { Image: string }).Image, IMAGE)
  })

  test('route: a hook that throws fails the create with its message, leaving nothing', async () => {
    const result = await docker(flocker.dockerHost, ['create', '--name', 'forbidden', ...NET, IMAGE])
    assert.notEqual(result.code, 0)
    assert.match(result.err, /containers may not be called forbidden/)
    assert.deepEqual(await whereIs(engines, 'forbidden'), [])
  })

  test('map: the rewritten create body is what the engine creates', async () => {
    await dockerOk(flocker.dockerHost, ['create', '--name', 'web-2', ...NET, '-e', 'A=1', IMAGE])
    const out = await dockerOk(flocker.dockerHost, [
      'inspect',
      '-f',
      '{{json .Config.Env}} {{index .Config.Labels "mapped-by"}}',
      'web-2',
    ])
    assert.match(out, /"A=1"/)
    assert.match(out, /"IMAGE_CMD=sh"/)
    assert.match(out, /flocker/)
  })

  test('start: the rewritten start body reaches the engine (HostConfig applied)', async () => {
    const out = await dockerOk(flocker.dockerHost, [
      'run',
      '--name',
      'web-3',
      ...NET,
      IMAGE,
      'cat',
      '/etc/hosts',
    ])
    const dns = await dockerOk(flocker.dockerHost, ['inspect', '-f', '{{json .HostConfig.Dns}}', 'web-3'])
    assert.equal(dns.trim(), '["10.9.8.7"]')
    assert.match(out, /12\.0\.0\.1\s+me/)
    const call = started.find((s) => s.name === 'web-3')!
    assert.match(call.image, /^sha256:/)
    assert.deepEqual(call.body, {})
  })

  test('start: without a rewrite the start goes through unchanged', async () => {
    const out = await dockerOk(flocker.dockerHost, [
      'run',
      '--rm',
      '--name',
      'plain',
      ...NET,
      IMAGE,
      'echo',
      'ok',
    ])
    assert.equal(out, 'ok\n')
  })

  test('route for a pull: the hook names the only host that pulls', async () => {
    const tag = `${engines.registry}/hooked:1`
    await dockerOk(engines.engines[0]!.url, ['tag', IMAGE, tag])
    await dockerOk(engines.engines[0]!.url, ['push', tag])
    await dockerOk(engines.engines[0]!.url, ['rmi', tag])
    try {
      await dockerOk(flocker.dockerHost, ['pull', tag])
      const holders = []
      for (const engine of engines.engines) {
        if ((await docker(engine.url, ['image', 'inspect', tag])).code === 0) holders.push(engine.name)
      }
      assert.deepEqual(holders, ['node3'])
    } finally {
      await docker(flocker.dockerHost, ['rmi', tag])
    }
  })
})
