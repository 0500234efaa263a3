import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import type { FakeEngine } from '../support/fake-engine.ts'
import { get, startFakeFlock } from '../support/fake-flock.ts'
import { type RecordingEngine, startRecordingEngine } from '../support/recording-engine.ts'

interface Info {
  Containers: number
  NCPU: number
  SystemStatus: [string, string][]
  Warnings: string[]
}

describe('docker info and ping for the flock', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let stop: () => Promise<void>
  before(async () => {
    ;({ engines, app, stop } = await startFakeFlock(3))
    engines.forEach((engine, i) => engine.add(`c${i}`, `app${i}`))
    await app.checkHosts()
  })
  after(() => stop())

  test('/info sums the hosts and lists each in SystemStatus', async () => {
    const info = await (await get(app, '/info')).json() as Info
    assert.equal(info.Containers, 3)
    assert.equal(info.NCPU, 6)
    const status = new Map(info.SystemStatus)
    assert.equal(status.get('Nodes'), '3')
    assert.equal(status.get('Strategy'), 'spread')
    assert.ok(info.SystemStatus.some(([k, v]) => k === ' fake2' && v === engines[1]!.url))
  })

  test('/_ping speaks the lowest API version of the healthy hosts', async () => {
    engines[0]!.apiVersion = '1.40'
    await app.checkHosts()
    const ping = await get(app, '/_ping', 'HEAD')
    assert.equal(ping.headers.get('api-version'), '1.40')
    assert.equal(ping.headers.get('ostype'), 'linux')
    assert.equal(ping.headers.get('docker-experimental'), 'false')
    engines[0]!.apiVersion = '1.41'
    await app.checkHosts()
  })
})

test('docker info shows the CPUs and memory the live containers reserve on each host', async () => {
  const engine = await startRecordingEngine()
  answerContainers(engine, [
    { id: 'a'.repeat(64), state: 'running', hostConfig: { NanoCpus: 1.5e9, Memory: 256 * 2 ** 20 } },
    { id: 'b'.repeat(64), state: 'running', hostConfig: { CpuShares: 512 } },
    { id: 'c'.repeat(64), state: 'exited', hostConfig: { NanoCpus: 4e9, Memory: 2 ** 30 } },
  ])
  const app = createFlocker({ hosts: [`node1=${engine.url}`] })
  try {
    await app.checkHosts()
    const info = await (await get(app, '/info')).json() as Info
    const status = new Map(info.SystemStatus)
    assert.equal(status.get('  └ Reserved CPUs'), '2 / 1')
    assert.equal(status.get('  └ Reserved Memory'), `${256 * 2 ** 20} B / ${2 ** 30} B`)
  } finally {
    await app.close()
    await engine.close()
  }
})

test('a failing list hook shows in docker info and is logged, once per new error', async () => {
  const engine = await startRecordingEngine()
  const logged: string[] = []
  let fail = false
  const app = createFlocker({
    hosts: [`node1=${engine.url}`],
    hooks: {
      list: () => {
        if (fail) throw new Error('inventory service down')
        return []
      },
    },
    log: (line) => logged.push(line),
  })
  try {
    await app.checkHosts()
    fail = true
    await app.refreshHosts()
    await app.refreshHosts()
    const info = await (await get(app, '/info')).json() as Info
    assert.equal(new Map(info.SystemStatus).get('List hook error'), 'inventory service down')
    assert.ok(info.Warnings.some((w) => w.includes('the list hook failed: inventory service down')))
    assert.deepEqual(logged.filter((line) => line.includes('list hook')), [
      'flocker: the list hook failed: inventory service down',
    ])
  } finally {
    await app.close()
    await engine.close()
  }
})

/** The engine answers what the scheduler reads: the containers, their HostConfig, no images or volumes. */
function answerContainers(
  engine: RecordingEngine,
  containers: { id: string; state: string; hostConfig: Record<string, number> }[],
) {
  engine.route((req, res) => {
    const path = (req.url ?? '').split('?')[0]!
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      return true
    }
    if (path === '/containers/json') {
      return json(containers.map((c) => ({ Id: c.id, Names: [], State: c.state })))
    }
    if (path === '/images/json') return json([])
    if (path === '/volumes') return json({ Volumes: [] })
    const inspected = containers.find((c) => path === `/containers/${c.id}/json`)
    if (inspected) return json({ Id: inspected.id, HostConfig: inspected.hostConfig })
  })
}
