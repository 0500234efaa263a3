import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Flock } from '../../src/flock/flock.ts'
import { checkHost, HealthMonitor, judgeCheck, type LagMeter, vouchesFor } from '../../src/flock/health.ts'
import type { Host } from '../../src/flock/host.ts'
import { LoopLag } from '../../src/flock/loop-lag.ts'
import type { HostRequest, HostTransport } from '../../src/runtime/types.ts'
import { detectRuntime } from '../../src/runtime/mod.ts'

test('a pending host turns unhealthy only after `failureThreshold` failed checks', async () => {
  // Port 1 on loopback: nothing listens, every check fails at once.
  const flock = new Flock(detectRuntime(), [{ name: 'down', url: 'tcp://127.0.0.1:1' }])
  const host = flock.byName('down')!
  const options = { interval: 60_000, failureThreshold: 3, timeout: 2_000 }
  await checkHost(host, options)
  await checkHost(host, options)
  assert.equal(host.status, 'pending')
  assert.equal(host.consecutiveFailures, 2)
  await checkHost(host, options)
  assert.equal(host.status, 'unhealthy')
})

// ---- Health under flocker's own starvation: fake hosts, a fake lag meter, a fake clock ----

type Behaviour = 'answers' | 'frozen' | 'refuses'

/** A transport whose hosts answer /info, /version and /_ping at once, never (until aborted), or refuse. */
function fakeTransport(behaviour: Map<string, Behaviour>): HostTransport {
  return {
    connect(endpoint) {
      const name = endpoint.kind === 'tcp' ? String(endpoint.port) : ''
      const answer = (request: HostRequest): Promise<Response> => {
        switch (behaviour.get(name) ?? 'answers') {
          case 'answers':
            return Promise.resolve(Response.json(request.path === '/_ping' ? 'OK' : { ID: name }))
          case 'refuses':
            return Promise.reject(new Error('connect ECONNREFUSED'))
          case 'frozen':
            return new Promise((_, reject) => {
              request.signal?.addEventListener('abort', () => reject(request.signal!.reason), { once: true })
            })
        }
      }
      return {
        request: answer,
        upgrade: () => Promise.reject(new Error('no upgrades here')),
        close() {},
      }
    },
  }
}

/** AbortSignal.timeout does not keep Node's loop alive: checks of frozen fakes need something that does. */
async function keptAlive<T>(run: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000)
  try {
    return await run()
  } finally {
    clearInterval(timer)
  }
}

const QUICK = { interval: 60_000, failureThreshold: 1, timeout: 40, silenceLimit: 15_000 }

/** A flock of healthy hosts named by port (1, 2, 3...), all last heard from just now. */
function healthyFlock(count: number, behaviour: Map<string, Behaviour>): Host[] {
  const specs = Array.from(
    { length: count },
    (_, i) => ({ name: `h${i + 1}`, url: `tcp://127.0.0.1:${i + 1}` }),
  )
  const flock = new Flock(fakeTransport(behaviour), specs)
  for (const host of flock.all) {
    host.status = 'healthy'
    host.lastAnswerAt = performance.now()
  }
  return flock.all
}

function fakeLag(): LagMeter & { behind: number } {
  return {
    behind: 0,
    total() {
      return this.behind
    },
    start() {},
    stop() {},
  }
}

const timedOut = (lagMs = 0) => ({
  kind: 'failed' as const,
  error: 'no answer',
  timedOut: true,
  startedAt: performance.now(),
  lagMs,
})

test("a check that timed out while flocker's loop lagged is not counted, until the host was silent too long", () => {
  const [host] = healthyFlock(1, new Map())
  const waiting = new Promise<void>((resolve) => host!.failPendingHeads = () => resolve())
  judgeCheck(host!, timedOut(20), QUICK)
  assert.equal(host!.status, 'healthy')
  assert.equal(host!.consecutiveFailures, 0)
  assert.match(host!.lastError, /not counted: flocker's event loop was 20 ms behind/)
  // The same check 15 s after the host's last answer: a frozen host is still found. (A millisecond
  // more: `(t + 15000) - t` can come out a hair under 15000 in floating point.)
  judgeCheck(host!, timedOut(20), QUICK, { now: host!.lastAnswerAt + 15_001, allSilent: false })
  assert.equal(host!.status, 'unhealthy')
  return waiting
})

test('the checks vouch for a host while healthy, its last check clean and the one under way not late', () =>
  keptAlive(async () => {
    const behaviour = new Map<string, Behaviour>([['1', 'frozen']])
    const [host] = healthyFlock(1, behaviour)
    // A threshold never reached: what is judged here is the trust, not the status.
    const options = { ...QUICK, timeout: 400, failureThreshold: 100 }
    assert.equal(vouchesFor(host!, options), true)
    host!.status = 'pending'
    assert.equal(vouchesFor(host!, options), false, 'not checked yet')
    host!.status = 'healthy'
    const check = checkHost(host!, options)
    const began = performance.now()
    assert.equal(vouchesFor(host!, options, began), true, 'a check just sent')
    assert.equal(vouchesFor(host!, options, began + 101), false, 'a check late by a quarter of the timeout')
    await check
    assert.equal(host!.status, 'healthy')
    assert.equal(vouchesFor(host!, options), false, 'a failed check, not counted against its status')
    behaviour.set('1', 'answers')
    await checkHost(host!, options)
    assert.equal(vouchesFor(host!, options), true)
  }))

test('a host that answered other requests while its check timed out is busy, not down', () => {
  const [host] = healthyFlock(1, new Map())
  const result = timedOut()
  host!.lastAnswerAt = result.startedAt + 1
  judgeCheck(host!, result, QUICK)
  assert.equal(host!.status, 'healthy')
  assert.match(host!.lastError, /answered other requests meanwhile/)
})

test('without an excuse, or when refused, one failed check is enough (failureThreshold 1)', () => {
  const [quiet, refusing] = healthyFlock(2, new Map())
  judgeCheck(quiet!, timedOut(5), QUICK)
  assert.equal(quiet!.status, 'unhealthy')
  // A refusal is the host's own doing, whatever the lag.
  judgeCheck(refusing!, { ...timedOut(1000), timedOut: false }, QUICK)
  assert.equal(refusing!.status, 'unhealthy')
})

test('when every host goes silent in the same round, none is marked down; one silent host is', () =>
  keptAlive(async () => {
    const behaviour = new Map<string, Behaviour>([['1', 'frozen'], ['2', 'frozen'], ['3', 'frozen']])
    const hosts = healthyFlock(3, behaviour)
    const monitor = new HealthMonitor(() => hosts, QUICK, fakeLag())
    await monitor.checkAll()
    for (const host of hosts) {
      assert.equal(host.status, 'healthy', host.name)
      assert.match(host.lastError, /not counted: every host went silent at once/)
    }
    // One host stays silent, the others answer again: that one is down.
    behaviour.set('2', 'answers').set('3', 'answers')
    await monitor.checkAll()
    assert.deepEqual(hosts.map((host) => host.status), ['unhealthy', 'healthy', 'healthy'])
  }))

test('a lone silent host is down; silent hosts beside a refusing one went silent together', () =>
  keptAlive(async () => {
    const lone = healthyFlock(1, new Map([['1', 'frozen']]))
    await new HealthMonitor(() => lone, QUICK, fakeLag()).checkAll()
    assert.equal(lone[0]!.status, 'unhealthy')
    // A killed host refuses at once; the two silent ones went silent together, which flocker's side explains.
    const three = healthyFlock(
      3,
      new Map<string, Behaviour>([['1', 'refuses'], ['2', 'frozen'], ['3', 'frozen']]),
    )
    await new HealthMonitor(() => three, QUICK, fakeLag()).checkAll()
    assert.deepEqual(three.map((host) => host.status), ['unhealthy', 'healthy', 'healthy'])
  }))

test('the monitor measures the lag of its own loop during a check', () =>
  keptAlive(async () => {
    const lag = fakeLag()
    const behaviour = new Map<string, Behaviour>([['1', 'frozen']])
    const hosts = healthyFlock(2, behaviour)
    const monitor = new HealthMonitor(() => hosts, QUICK, lag)
    const round = monitor.checkAll()
    lag.behind = QUICK.timeout // the loop fell a whole timeout behind while the check ran
    await round
    assert.equal(hosts[0]!.status, 'healthy')
    assert.match(hosts[0]!.lastError, /event loop was 40 ms behind/)
  }))

test('LoopLag counts the time its loop was blocked', async () => {
  const lag = new LoopLag(20)
  lag.start()
  try {
    await new Promise((resolve) => setTimeout(resolve, 30))
    const before = lag.total()
    const until = performance.now() + 200
    while (performance.now() < until) {
      // the loop is blocked: the lag timer cannot run
    }
    assert.ok(lag.total() - before >= 150, `lag ${lag.total() - before} ms`)
  } finally {
    lag.stop()
  }
})

test('a healthy host with recent facts is only pinged; old facts or another API version are read again', async () => {
  const asked: string[] = []
  let pingVersion = '1.41'
  const transport: HostTransport = {
    connect: () => ({
      request(request: HostRequest) {
        asked.push(request.path)
        if (request.path === '/_ping') {
          return Promise.resolve(new Response('OK', { headers: { 'api-version': pingVersion } }))
        }
        return Promise.resolve(
          Response.json(request.path === '/version' ? { ApiVersion: pingVersion } : { ID: 'x' }),
        )
      },
      upgrade: () => Promise.reject(new Error('no upgrades here')),
      close() {},
    }),
  }
  const host = new Flock(transport, [{ name: 'h', url: 'tcp://127.0.0.1:1' }]).byName('h')!
  const check = async (factsInterval = 60_000) => {
    asked.length = 0
    await checkHost(host, { ...QUICK, factsInterval })
    return [...asked].sort()
  }
  assert.deepEqual(await check(), ['/info', '/version'], 'a host not known healthy has its facts read')
  assert.equal(host.status, 'healthy')
  assert.deepEqual(await check(), ['/_ping'], 'recent facts: a ping is the whole check')
  assert.equal(host.status, 'healthy')
  pingVersion = '1.43'
  assert.deepEqual(
    await check(),
    ['/_ping', '/info', '/version'],
    'the engine changed: its facts are read again',
  )
  assert.equal(host.facts?.apiVersion, '1.43')
  assert.deepEqual(await check(0), ['/info', '/version'], 'facts older than factsInterval are read again')
  await host.request('POST', '/containers/x/start')
  assert.deepEqual(await check(), ['/info', '/version'], 'a write through flocker: the counts are read again')
  assert.deepEqual(await check(), ['/_ping'])
})
