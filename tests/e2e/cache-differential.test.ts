/**
 * The event-fed list cache against the engines' live answers: two flocker apps in front of the same
 * three real engines, one answering `GET /containers/json` from its cache, one (listCache: false)
 * asking the engines every time. Across a scripted sequence of changes (made through the cached
 * flocker, and behind its back on an engine) every list query must be answered the same by both.
 * Status text moves with the clock, so each cached answer is taken between two live ones and must
 * equal one of them.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { callApp } from '../support/app-call.ts'
import { startCountingProxy } from '../support/counting-proxy.ts'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { eventually } from '../support/eventually.ts'
import { runtimes, startFlocker } from '../support/flocker.ts'

const engines = enginesForFile(3)
const P = 'cd-'

const filters = (f: Record<string, string[]>) => `filters=${encodeURIComponent(JSON.stringify(f))}`

/** Every query the differential asks after each step. */
const QUERIES = [
  '',
  'all=1',
  'limit=2',
  'all=1&limit=3',
  `all=1&${filters({ label: ['cd.role'] })}`,
  `all=1&${filters({ label: ['cd.role=web'] })}`,
  `${filters({ status: ['exited'] })}`,
  `${filters({ status: ['running', 'paused'] })}`,
  `all=1&${filters({ status: ['created'] })}`,
  `all=1&${filters({ exited: ['3'] })}`,
  `all=1&${filters({ health: ['healthy', 'starting'] })}`,
  `all=1&${filters({ health: ['none'] })}`,
  `all=1&${filters({ name: ['^/?cd-w'] })}`,
  `all=1&${filters({ network: ['cd-net'] })}`,
  `all=1&${filters({ network: ['cd-net2'] })}`,
  `all=1&${filters({ network: ['none'] })}`,
  `all=1&${filters({ volume: ['cd-vol'] })}`,
  `all=1&${filters({ volume: ['/data'] })}`,
  `all=1&${filters({ node: ['node2'] })}`,
  `all=1&${filters({ label: ['flocker.host=node1'] })}`,
  // Answered live by the cached flocker too (the rows cannot answer them), and so equal as well:
  'all=1&size=1',
  `all=1&${filters({ ancestor: [IMAGE] })}`,
  `all=1&${filters({ since: [`${P}web`] })}`,
  `all=1&${filters({ before: [`${P}web`] })}`,
  `all=1&${filters({ status: ['bogus'] })}`,
]

describe('the list cache answers as the engines do', () => {
  let cached: FlockerApp
  let live: FlockerApp
  let hits = 0
  /** `X-Flocker-List` of the last answer `get` had. */
  let source: string | null = null
  const url = (i: number) => engines().engines[i]!.url
  const hosts = () => engines().engines.map((e) => e.flag)
  const get = async (app: FlockerApp, search: string) => {
    const response = await app.fetch(new Request(`http://flocker/v1.41/containers/json?${search}`), {})
    const bytes = new Uint8Array(await response.arrayBuffer())
    source = response.headers.get('x-flocker-list')
    if (app === cached && source === 'cached') {
      hits++
      // One buffer of known length: never a chunked stream.
      assert.equal(response.headers.get('content-length'), String(bytes.length))
    }
    return { status: response.status, body: JSON.parse(new TextDecoder().decode(bytes)) as unknown }
  }
  const call = callApp

  /**
   * Every query: the cached answer equals a live one taken just before or just after it. On a loaded
   * machine the three answers can be seconds apart ("Exited (3) 7 seconds ago" between 6 and 8): such
   * a bracket is taken again, up to three times. A cached answer is asked twice: the second is the
   * answer kept from the first (list-answers.ts), which must still be true. `app`: the flocker
   * compared with the live one; `asked` is told each query its first answer came from.
   */
  const same = async (step: string, app = cached, asked?: (query: string, from: string | null) => void) => {
    for (const query of QUERIES) {
      for (let attempt = 1;; attempt++) {
        const before = await get(live, query)
        const hitsBefore = hits
        const answers = [await get(app, query)]
        asked?.(query, source)
        if (hits > hitsBefore) answers.push(await get(app, query))
        const afterwards = await get(live, query)
        try {
          for (const answer of answers) {
            try {
              assert.deepEqual(answer, before)
            } catch {
              assert.deepEqual(answer, afterwards, `${step}: ${query || '(no query)'}`)
            }
          }
        } catch (error) {
          if (attempt < 3 && JSON.stringify(before) !== JSON.stringify(afterwards)) continue
          throw error
        }
        break
      }
    }
  }

  before(async () => {
    cached = createFlocker({ hosts: hosts(), listCache: true })
    live = createFlocker({ hosts: hosts(), listCache: false })
    await Promise.all([cached.checkHosts(), live.checkHosts()])
    // One network and one volume on engine 1, made directly.
    await dockerOk(url(0), ['network', 'create', '--internal', 'cd-net'])
    await dockerOk(url(0), ['network', 'create', '--internal', 'cd-net2'])
    await dockerOk(url(0), ['volume', 'create', 'cd-vol'])
    // The cache is in use once every host has synced.
    await eventually(async () => {
      const before = hits
      await get(cached, 'all=1')
      assert.ok(hits > before, 'not answered from the cache yet')
    })
  })
  after(async () => {
    await Promise.all([cached?.close(), live?.close()])
    for (let i = 0; i < 3; i++) {
      const ids = (await dockerOk(url(i), ['ps', '-aq', '--filter', `name=${P}`])).split('\n').filter(Boolean)
      if (ids.length) await dockerOk(url(i), ['rm', '-f', ...ids])
    }
    await dockerOk(url(0), ['network', 'rm', 'cd-net', 'cd-net2']).catch(() => {})
    await dockerOk(url(0), ['volume', 'rm', 'cd-vol']).catch(() => {})
  })

  const create = (name: string, extra: Record<string, unknown> = {}) =>
    call(cached, 'POST', `/containers/create?name=${name}`, {
      Image: IMAGE,
      Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: 'none' },
      ...extra,
    }) as Promise<{ Id: string }>

  test('at rest', () => same('at rest'))

  test('changes made through flocker show in the very next list', async () => {
    const web = await create(`${P}web`, { Labels: { 'cd.role': 'web' } })
    await same('create')
    await call(cached, 'POST', `/containers/${web.Id}/start`)
    await same('start')
    const worker = await create(`${P}worker`, { Labels: { 'cd.role': 'worker' } })
    await call(cached, 'POST', `/containers/${worker.Id}/start`)
    await call(cached, 'POST', `/containers/${worker.Id}/pause`)
    await same('pause')
    await call(cached, 'POST', `/containers/${worker.Id}/unpause`)
    await call(cached, 'POST', `/containers/${worker.Id}/rename?name=${P}worker2`)
    await same('unpause, rename')
    const exits = await create(`${P}exits`, { Cmd: ['sh', '-c', 'exit 3'] })
    await call(cached, 'POST', `/containers/${exits.Id}/start`)
    await call(cached, 'POST', `/containers/${exits.Id}/wait`)
    await same('exit 3')
    await call(cached, 'POST', `/containers/${web.Id}/stop?t=0`)
    await same('stop')
    await call(cached, 'DELETE', `/containers/${exits.Id}?force=1`)
    await same('rm')
  })

  test('health, networks and volumes', async () => {
    const checked = await create(`${P}health`, {
      Healthcheck: { Test: ['CMD', 'true'], Interval: 200_000_000, StartPeriod: 0 },
    })
    await call(cached, 'POST', `/containers/${checked.Id}/start`)
    await eventually(() => same('health: starting'))
    await eventually(async () => {
      const inspect = await call(live, 'GET', `/containers/${checked.Id}/json`)
      assert.equal(inspect.State.Health.Status, 'healthy')
    })
    // A health change is the engine's own doing: it shows within the event delay.
    await eventually(() => same('healthy'))
  })

  // The server writes a cached answer's bytes itself (runtime/known-bytes.ts): every byte and its
  // length must arrive, on each runtime's node:http.
  test('served by each runtime, a cached answer arrives whole with its length', async () => {
    for (const runtime of runtimes()) {
      const served = await startFlocker(runtime, [
        ...hosts().map((flag) => `--node=${flag}`),
        '--list-cache=on',
      ])
      const over = async (search: string) => {
        const response = await fetch(
          `${served.dockerHost.replace('tcp:', 'http:')}/v1.41/containers/json?${search}`,
        )
        const bytes = new Uint8Array(await response.arrayBuffer())
        assert.equal(response.headers.get('content-length'), String(bytes.length), runtime)
        assert.equal(response.headers.get('transfer-encoding'), null, runtime)
        const answer = {
          status: response.status,
          body: JSON.parse(new TextDecoder().decode(bytes)) as unknown,
        }
        return { answer, from: response.headers.get('x-flocker-list') }
      }
      try {
        await eventually(async () =>
          assert.equal((await over('all=1')).from, 'cached', `${runtime}: not yet`)
        )
        for (const query of ['all=1', `${filters({ label: ['cd.role'] })}`]) {
          for (let attempt = 1;; attempt++) {
            const before = await get(live, query)
            const answers = [await over(query), await over(query)]
            const afterwards = await get(live, query)
            try {
              for (const { answer, from } of answers) {
                assert.equal(from, 'cached')
                try {
                  assert.deepEqual(answer, before)
                } catch {
                  assert.deepEqual(answer, afterwards, `${runtime}: ${query}`)
                }
              }
            } catch (error) {
              if (attempt < 3 && JSON.stringify(before) !== JSON.stringify(afterwards)) continue
              throw error
            }
            break
          }
        }
      } finally {
        await served.stop()
      }
    }
  })

  test('changes made on an engine directly show within the event delay', async () => {
    await dockerOk(url(0), [
      'run',
      '-d',
      '--name',
      `${P}direct`,
      '-v',
      'cd-vol:/data',
      '--label',
      'cd.role=direct',
      '--network',
      'cd-net',
      IMAGE,
      'sleep',
      '600',
    ])
    // (A container on --network none cannot join another network.)
    await dockerOk(url(0), ['network', 'connect', 'cd-net2', `${P}direct`])
    await eventually(() => same('made on engine 1, then connected to a network'))
    const exited = await docker(url(1), [
      'run',
      '--name',
      `${P}direct-exit`,
      ...NET,
      IMAGE,
      'sh',
      '-c',
      'exit 3',
    ])
    assert.equal(exited.code, 3, String(exited.stderr))
    await eventually(() => same('exited on engine 2'))
  })

  test('one host whose events stream is down: only it is asked live, the others answer from memory', async () => {
    // A flocker of its own, reaching each engine through a proxy that counts the requests it passes.
    const proxies = await Promise.all(engines().engines.map((engine) => startCountingProxy(engine.url)))
    const partly = createFlocker({
      hosts: engines().engines.map((engine, i) => `${engine.name}=${proxies[i]!.url}`),
      listCache: true,
    })
    try {
      await partly.checkHosts()
      await eventually(async () => {
        await get(partly, 'all=1')
        assert.equal(source, 'cached')
      })
      proxies[2]!.refuseEvents(true)
      await eventually(async () => {
        await get(partly, 'all=1')
        assert.equal(source, 'partly cached, 1 of 3 hosts asked live')
      })
      const lists = () =>
        proxies.map((proxy) => proxy.take().filter((r) => r.startsWith('GET /containers/json')))
      const partlyAnswered = new Set<string>()
      lists() // what the waits above asked
      await same('engine 3 with its events stream down', partly, (query, from) => {
        const asked = lists()
        if (from !== 'partly cached, 1 of 3 hosts asked live') return
        partlyAnswered.add(query)
        assert.deepEqual(asked.map((lists) => lists.length), [0, 0, 1], `${query}: ${JSON.stringify(asked)}`)
      })
      // Every query the rows can answer, but those whose hosts are all synced (node2, flocker.host=node1).
      assert.equal(partlyAnswered.size, 18)
    } finally {
      await partly.close()
      await Promise.all(proxies.map((proxy) => proxy.close()))
    }
  })

  test('a host whose event stream is down is answered live, not from a stale cache', async () => {
    // Killed, not stopped: a dockerd that shuts down stops its containers first, and only the cache
    // (following its events) would see them exit; a host that dies or is cut off says nothing.
    await engines().kill(3)
    try {
      await same('engine 3 killed')
      // Once health checks mark it down, both show its last-seen rows as `Host Down`.
      await eventually(async () => {
        assert.equal(cached.flock.usable.length, 2, 'engine 3 not yet marked down')
        await same('engine 3 marked down')
      })
    } finally {
      await engines().start(3)
    }
    await eventually(() => same('engine 3 back'))
  })
})
