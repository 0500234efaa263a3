/**
 * Kept container inspects (with the list cache, src/cache/inspect-cache.ts) against the engines' live
 * answers: two flocker apps in front of the same two real engines, one keeping inspects, one
 * (listCache: false) asking every time. After each scripted change, made through the cached flocker
 * or behind its back on an engine, both must answer the same; once the host has been quiet the
 * cached one answers from memory, and must still answer the same.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { QUIET_MS } from '../../src/cache/inspect-cache.ts'
import { callApp } from '../support/app-call.ts'
import { dockerOk, IMAGE } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { eventually } from '../support/eventually.ts'
import { runtimes, startFlocker } from '../support/flocker.ts'

const engines = enginesForFile(2)
const P = 'ci-'

interface Answer {
  readonly status: number
  readonly body: unknown
}

describe('kept container inspects answer as the engines do', () => {
  let cached: FlockerApp
  let live: FlockerApp
  const url = (i: number) => engines().engines[i]!.url
  const hosts = () => engines().engines.map((e) => e.flag)

  const inspect = async (app: FlockerApp, ref: string) => {
    const response = await app.fetch(new Request(`http://flocker/v1.41/containers/${ref}/json`), {})
    const bytes = new Uint8Array(await response.arrayBuffer())
    const from = response.headers.get('x-flocker-inspect')
    if (from === 'cached') assert.equal(response.headers.get('content-length'), String(bytes.length))
    const answer: Answer = { status: response.status, body: JSON.parse(new TextDecoder().decode(bytes)) }
    return { answer, from }
  }
  const call = (method: string, path: string, body?: unknown) => callApp(cached, method, path, body)

  /**
   * The cached flocker's answer equals the live one's taken just before or just after it (a
   * restarting or exiting container can change between the two): where it came from.
   */
  const same = async (ref: string, step: string): Promise<string | null> => {
    for (let attempt = 1;; attempt++) {
      const before = (await inspect(live, ref)).answer
      const { answer, from } = await inspect(cached, ref)
      const afterwards = (await inspect(live, ref)).answer
      try {
        try {
          assert.deepEqual(answer, before)
        } catch {
          assert.deepEqual(answer, afterwards, `${step} (${from ?? 'asked'})`)
        }
        return from
      } catch (error) {
        if (attempt < 3 && JSON.stringify(before) !== JSON.stringify(afterwards)) continue
        throw error
      }
    }
  }
  /** Once its host has been quiet, the container is answered from memory, and still the same. */
  const kept = async (ref: string, step: string) => {
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
    await eventually(async () => assert.equal(await same(ref, step), 'cached', `${step}: not kept`))
  }

  before(async () => {
    cached = createFlocker({ hosts: hosts(), listCache: true })
    live = createFlocker({ hosts: hosts(), listCache: false })
    await Promise.all([cached.checkHosts(), live.checkHosts()])
    await dockerOk(url(0), ['network', 'create', '--internal', 'ci-net'])
  })
  after(async () => {
    await Promise.all([cached?.close(), live?.close()])
    for (let i = 0; i < 2; i++) {
      const ids = (await dockerOk(url(i), ['ps', '-aq', '--filter', `name=${P}`])).split('\n').filter(Boolean)
      if (ids.length) await dockerOk(url(i), ['rm', '-f', ...ids])
    }
    await dockerOk(url(0), ['network', 'rm', 'ci-net']).catch(() => {})
  })

  test('changes made through flocker show in the very next inspect', async () => {
    const { Id: id } = await call('POST', `/containers/create?name=${P}web`, {
      Image: IMAGE,
      Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: 'none' },
    }) as { Id: string }
    await kept(id, 'created')
    await call('POST', `/containers/${id}/start`)
    assert.equal(await same(id, 'start'), null, 'a kept inspect answered after a start')
    await kept(id, 'started')
    await call('POST', `/containers/${id}/pause`)
    assert.equal(await same(id, 'pause'), null)
    await kept(`${P}web`, 'paused, by name')
    await call('POST', `/containers/${id}/unpause`)
    await call('POST', `/containers/${id}/rename?name=${P}web2`)
    assert.equal(await same(id, 'unpause, rename'), null)
    await kept(`${P}web2`, 'renamed')
    await call('POST', `/containers/${id}/update`, { CpuShares: 512 })
    assert.equal(await same(id, 'update'), null)
    await kept(id, 'updated')
    await call('POST', `/containers/${id}/stop?t=0`)
    assert.equal(await same(id, 'stop'), null)
    await kept(id, 'stopped')
    await call('DELETE', `/containers/${id}`)
    await same(id, 'removed')
  })

  test('an exec instance or a health check keeps a container from being kept', async () => {
    const { Id: id } = await call('POST', `/containers/create?name=${P}exec`, {
      Image: IMAGE,
      Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: 'none' },
    }) as { Id: string }
    await call('POST', `/containers/${id}/start`)
    await call('POST', `/containers/${id}/exec`, { Cmd: ['true'] })
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
    for (let i = 0; i < 3; i++) assert.equal(await same(id, 'exec created'), null)
  })

  test('changes made on an engine directly show within the event delay', async () => {
    await dockerOk(url(0), [
      'run',
      '-d',
      '--name',
      `${P}direct`,
      '--network',
      'ci-net',
      IMAGE,
      'sleep',
      '600',
    ])
    await eventually(async () => assert.equal((await inspect(cached, `${P}direct`)).answer.status, 200))
    await kept(`${P}direct`, 'made on engine 1')
    await dockerOk(url(0), ['network', 'disconnect', 'ci-net', `${P}direct`])
    await eventually(() => same(`${P}direct`, 'disconnected on engine 1'))
    await kept(`${P}direct`, 'disconnected')
    // An exec instance shows in ExecIDs: its exec_create event drops the kept answer.
    await dockerOk(url(0), ['exec', '-d', `${P}direct`, 'sleep', '600'])
    await eventually(async () => {
      assert.equal(await same(`${P}direct`, 'exec made on engine 1'), null)
      const { answer } = await inspect(cached, `${P}direct`)
      assert.equal((answer.body as { ExecIDs: unknown[] | null }).ExecIDs?.length, 1)
    })
    await dockerOk(url(0), ['kill', `${P}direct`])
    await eventually(() => same(`${P}direct`, 'killed on engine 1'))
    await kept(`${P}direct`, 'killed')
    await dockerOk(url(0), ['start', `${P}direct`])
    await eventually(() => same(`${P}direct`, 'started again on engine 1'))
  })

  test('an image inspect is kept too, and a tag shows at once through flocker, soon on the engine', async () => {
    await dockerOk(url(1), ['tag', IMAGE, `${P}only:1`])
    const engine = async () => {
      const response = await fetch(`${url(1).replace('tcp:', 'http:')}/v1.41/images/${P}only:1/json`)
      return { status: response.status, body: await response.json() as unknown }
    }
    const image = async (step: string) => {
      const before = await engine()
      const response = await cached.fetch(new Request(`http://flocker/v1.41/images/${P}only:1/json`), {})
      const answer = { status: response.status, body: await response.json() as unknown }
      const afterwards = await engine()
      try {
        assert.deepEqual(answer, before)
      } catch {
        assert.deepEqual(answer, afterwards, step)
      }
      return response.headers.get('x-flocker-inspect')
    }
    await eventually(() => image('tagged on engine 2'))
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
    await eventually(async () => assert.equal(await image('quiet'), 'cached'))
    await dockerOk(url(1), ['tag', IMAGE, `${P}only:2`])
    await eventually(() => image('tagged again on engine 2'))
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
    await eventually(async () => assert.equal(await image('quiet again'), 'cached'))
    await call('POST', `/images/${P}only:1/tag?repo=${P}only&tag=3`)
    assert.equal(await image('tagged through flocker'), null)
    await dockerOk(url(1), ['rmi', `${P}only:1`, `${P}only:2`, `${P}only:3`])
  })

  // The server writes a kept answer's bytes itself (runtime/known-bytes.ts): every byte, its length
  // and the engine's headers must arrive, on each runtime's node:http.
  test('served by each runtime, a kept inspect arrives whole with its length', async () => {
    await dockerOk(url(1), ['run', '-d', '--name', `${P}served`, '--network', 'none', IMAGE, 'sleep', '600'])
    for (const runtime of runtimes()) {
      const served = await startFlocker(runtime, [
        ...hosts().map((flag) => `--node=${flag}`),
        '--list-cache=on',
      ])
      try {
        await eventually(async () => {
          const response = await fetch(
            `${served.dockerHost.replace('tcp:', 'http:')}/v1.41/containers/${P}served/json`,
          )
          const bytes = new Uint8Array(await response.arrayBuffer())
          assert.equal(response.headers.get('content-length'), String(bytes.length), runtime)
          assert.equal(response.headers.get('transfer-encoding'), null, runtime)
          assert.equal(response.headers.get('api-version'), '1.41', runtime)
          const body = JSON.parse(new TextDecoder().decode(bytes))
          assert.deepEqual(body, (await inspect(live, `${P}served`)).answer.body, runtime)
          assert.equal(response.headers.get('x-flocker-inspect'), 'cached', `${runtime}: not kept yet`)
        })
      } finally {
        await served.stop()
      }
    }
  })
})
