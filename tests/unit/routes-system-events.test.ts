import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { eventsPlan, parseTime, sinceParam } from '../../src/routes/system/events.ts'
import type { EventJson } from '../../src/docker/types.ts'
import { FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

/** An event as flocker streams it: with its host. */
type TaggedEvent = EventJson & { Actor: { Attributes: Record<string, string> }; node: { Name: string } }

/** Reads JSON lines from a streamed answer until `count` arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<TaggedEvent[]> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (text.split('\n').filter(Boolean).length < count) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  reader.releaseLock()
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

/** The /events streams a client opened through flocker (flocker's own followers ask with filters). */
const clientStreams = (engine: FakeEngine) =>
  engine.eventStreamPaths.filter((p) => !p.includes('filters=')).length

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  assert.ok(check(), 'condition not reached')
}

/**
 * `docker events --since --until` in the past; the fake engines never end a stream by themselves,
 * so they end them as a real engine would at `until`, until flocker's answer ends.
 */
async function boundedRun(app: FlockerApp, ending: FakeEngine[]): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const response = await app.fetch(
    new Request(`http://flocker/events?since=${now - 10}&until=${now - 5}`),
    {},
  )
  let text: string | null = null
  void response.text().then((t) => (text = t))
  await until(() => {
    ending.forEach((e) => e.dropEvents())
    return text !== null
  })
  return text!
}

let seq = 0
const event = (id: string) => {
  const timeNano = BigInt(Date.now()) * 1_000_000n + BigInt(seq++)
  return {
    Type: 'container',
    Action: 'start',
    id,
    Actor: { ID: id, Attributes: {} },
    timeNano: Number(timeNano),
    time: Math.floor(Date.now() / 1000),
  }
}

describe('the merged event stream', () => {
  let engines: FakeEngine[]
  let late: FakeEngine
  let app: FlockerApp
  before(async () => {
    engines = await startFakeEngines(2)
    late = await new FakeEngine('late').start()
    app = createFlocker({ hosts: engines.map((e) => `${e.name}=${e.url}`) })
    await app.checkHosts()
  })
  after(async () => {
    await app.close()
    await Promise.all([...engines, late].map((e) => e.stop()))
  })

  test('tags events with their host, resumes a dropped host with since, and takes in new hosts', async () => {
    const controller = new AbortController()
    const response = await app.fetch(new Request('http://flocker/events', { signal: controller.signal }), {})
    const body = response.body!
    await until(() => engines.every((e) => clientStreams(e) === 1))
    engines[0]!.emit(event('one'))
    engines[1]!.emit(event('two'))
    const first = await readEvents(body, 2)
    assert.deepEqual(first.map((e) => `${e.id}@${e.Actor.Attributes['flocker.host']}`).sort(), [
      'one@fake1',
      'two@fake2',
    ])
    assert.equal(first.find((e) => e.id === 'one')!.node.Name, 'fake1')

    engines[0]!.dropEvents()
    await until(() => clientStreams(engines[0]!) === 1)
    const resumed = engines[0]!.requests.filter((r) => r.startsWith('GET /events') && !r.includes('filters='))
      .at(-1)!
    assert.match(resumed, /since=\d+\.\d{9}/)

    app.setHosts([...engines, late].map((e) => ({ name: e.name, url: e.url })))
    await until(() => clientStreams(late) === 1)
    late.emit(event('three'))
    const [third] = await readEvents(body, 1)
    assert.equal(third!.Actor.Attributes['flocker.host'], 'late')
    controller.abort()
    await body.cancel().catch(() => {})
  })

  test('a bounded run (until in the past) ends', async () => {
    assert.equal(await boundedRun(app, [...engines, late]), '')
  })

  test('a bounded run ends even when a host hangs', async () => {
    const hung = await new FakeEngine('hung').start()
    const flock = createFlocker({ hosts: [`fake1=${engines[0]!.url}`, `hung=${hung.url}`], hostTimeout: 300 })
    try {
      await flock.checkHosts()
      hung.hang = true
      assert.equal(await boundedRun(flock, [engines[0]!]), '')
    } finally {
      await flock.close()
      await hung.stop()
    }
  })

  test('node filter picks hosts and never reaches the engines', () => {
    const plan = eventsPlan({
      url: new URL(
        `http://x/events?filters=${encodeURIComponent('{"node":{"fake2":true},"type":{"container":true}}')}`,
      ),
    })
    assert.equal(plan.query.get('filters'), '{"type":{"container":true}}')
    assert.equal(plan.wants(app.flock.byName('fake1')!), false)
    assert.equal(plan.wants(app.flock.byName('fake2')!), true)
  })

  test('times: docker formats in, seconds.nanoseconds out', () => {
    assert.equal(parseTime('1700000000.5'), 1_700_000_000_500)
    assert.equal(parseTime('2023-11-14T22:13:20Z'), 1_700_000_000_000)
    assert.equal(sinceParam(1_700_000_000_000_000_042n), '1700000000.000000042')
  })
})
