import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { FakeEngine } from '../support/fake-engine.ts'
import { eventually } from '../support/eventually.ts'
import { type Fault, faultContainerId, FaultEngine } from '../support/fault-engine.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { ask, messageOf, upgrade, waitForHostStatus } from '../support/raw-http.ts'

// A host that answers garbage, closes mid-head, sends a broken chunked body or resets: each
// request that meets it ends with a clean error naming the host, never a hang or a crash, and
// flocker goes on serving. The broken host is a fault-injecting fake (a real dockerd cannot be made
// to do this); the good one is the plain fake engine.

const FAULTS: Fault[] = ['garbage', 'close-mid-head', 'broken-chunked', 'short-body', 'reset']

for (const runtime of runtimes()) {
  describe(`a host that answers nonsense, on ${runtime}`, () => {
    let good: FakeEngine
    let bad: FaultEngine
    let flocker: RunningFlocker
    /** The same flock with the list cache on. */
    let cached: RunningFlocker
    before(async () => {
      good = await new FakeEngine('good').start()
      good.add('a0a0a0a0a0a0', 'goodc')
      bad = await new FaultEngine('bad').start()
      bad.containers.add('badc')
      const flags = [
        `--node=good=${good.url}`,
        `--node=bad=${bad.url}`,
        '--health-interval=500',
        '--host-timeout=2000',
      ]
      // Asked live: each fault is on the path a live list or a lookup by name takes.
      flocker = await startFlocker(runtime, [...flags, '--list-cache=off'])
      cached = await startFlocker(runtime, [...flags, '--list-cache=on'])
    })
    after(async () => {
      if (flocker?.process.exitCode !== null) process.stderr.write(`flocker exited:\n${flocker?.output()}\n`)
      await Promise.all([flocker?.stop(), cached?.stop()])
      await Promise.all([good?.stop(), bad?.stop()])
    })

    const stillServing = async () => {
      assert.equal(flocker.process.exitCode, null, `flocker exited:\n${flocker.output()}`)
      assert.equal((await ask(flocker.port, 'GET', '/_ping')).status, 200)
    }

    for (const fault of FAULTS) {
      test(`${fault} to a list: ps answers with the other host and names the broken one`, async () => {
        bad.heal()
        bad.breakPath(/^\/containers\/json$/, fault)
        const seen = await ask(flocker.port, 'GET', '/v1.41/containers/json?all=1')
        assert.equal(seen.status, 200, seen.body)
        const rows = JSON.parse(seen.body) as { Names: string[]; Status: string }[]
        const answered = rows.filter((c) => c.Status !== 'Host Down').map((c) => c.Names[0])
        assert.deepEqual(answered, ['/goodc'])
        // The broken host's containers show as last seen, marked as on a host that is down (Swarm's way).
        for (const row of rows.filter((c) => c.Status === 'Host Down')) assert.equal(row.Names[0], '/badc')
        assert.match(String(seen.headers['x-flocker-missing-hosts']), /\bbad\b/)
        await stillServing()
      })

      test(`${fault} to a routed request: a clean error naming the host`, async () => {
        bad.heal()
        bad.breakPath(/^\/containers\/badc\/json$/, fault)
        const seen = await ask(flocker.port, 'GET', '/v1.41/containers/badc/json')
        assert.ok([404, 502].includes(seen.status), `${seen.status} ${seen.body}`)
        assert.match(messageOf(seen), /\bbad\b/)
        await stillServing()
      })

      test(`${fault} to a stream (logs): it ends, with an error status or a cut body`, async () => {
        bad.heal()
        bad.breakPath(/^\/containers\/[^/]+\/logs$/, fault)
        const seen = await ask(flocker.port, 'GET', '/v1.41/containers/badc/logs?stdout=1')
        // On every runtime (Bun's broken bytes come with the head: src/runtime/node-compat/head-first.ts).
        if (seen.status === 200) assert.ok(seen.bodyError, `a broken body must not end cleanly: ${seen.body}`)
        else assert.match(messageOf(seen), /\bbad\b/, `${seen.status} ${seen.body}`)
        await stillServing()
      })

      test(`${fault} to an attach handshake: an engine-style error, not a hang`, async () => {
        bad.heal()
        bad.breakPath(/\/attach$/, fault)
        const { statusLine, all } = await upgrade(
          flocker.port,
          '/v1.41/containers/badc/attach?stream=1&stdin=1&stdout=1',
        )
        assert.match(statusLine, /^HTTP\/1\.1 5\d\d /, all)
        assert.match(all, /"message":"[^"]*\bbad\b/)
        await stillServing()
      })

      test(`${fault} to a create placed on it: an engine-style error naming the host`, async () => {
        bad.heal()
        bad.breakPath(/^\/containers\/create$/, fault)
        const body = JSON.stringify({ Image: 'busybox', Env: ['constraint:node==bad'] })
        const creates = () => bad.requests.filter((request) => request === 'POST /containers/create').length
        const before = creates()
        const seen = await ask(flocker.port, 'POST', '/v1.41/containers/create', body)
        // A create's answer is short and read whole: a broken one is a 502 naming the host, on every runtime.
        assert.equal(seen.status, 502, seen.body)
        assert.match(messageOf(seen), /\bbad\b/)
        // Sent once: Deno's client resent a request whose kept-alive connection failed before the answer.
        await stillServing()
        assert.equal(creates() - before, 1, 'the create was sent again')
      })
    }

    // With the list cache on, a host whose list breaks is found at its next resync (an event, or a
    // change made through flocker): it is then answered live, as above, until a resync succeeds.
    const cachedList = () => ask(cached.port, 'GET', '/v1.41/containers/json?all=1')
    const changeBad = () => ask(cached.port, 'POST', `/v1.41/containers/${faultContainerId('badc')}/pause`)
    for (const fault of FAULTS) {
      test(`${fault} to a list after a change, with the list cache: ps answers live, naming the host`, async () => {
        bad.heal()
        await eventually(async () => {
          if ((await cachedList()).headers['x-flocker-list'] === 'cached') return
          // Read again, now whole (once the change settles: a list right after it is asked live).
          await changeBad()
          assert.fail('not yet answered from memory')
        })
        bad.breakPath(/^\/containers\/json$/, fault)
        await changeBad()
        const seen = await cachedList()
        assert.equal(seen.status, 200, seen.body)
        // bad asked live (good may answer from memory: partly cached).
        assert.notEqual(seen.headers['x-flocker-list'], 'cached', 'asked live')
        assert.match(String(seen.headers['x-flocker-missing-hosts']), /\bbad\b/)
        const rows = JSON.parse(seen.body) as { Names: string[]; Status: string }[]
        assert.deepEqual(rows.filter((c) => c.Status !== 'Host Down').map((c) => c.Names[0]), ['/goodc'])
        assert.equal(cached.process.exitCode, null, `flocker exited:\n${cached.output()}`)
      })
    }

    test('garbage in an event stream: the merged stream goes on with the other host', async () => {
      bad.heal()
      bad.breakPath(/^\/events$/, 'garbage')
      const response = await fetch(`http://127.0.0.1:${flocker.port}/v1.41/events`)
      const reader = response.body!.getReader()
      try {
        let text = ''
        const marker = `evt-${Date.now()}`
        const emitter = setInterval(() => good.emit({ Type: 'container', Action: 'start', id: marker }), 200)
        try {
          while (!text.includes(marker)) {
            const { value, done } = await reader.read()
            assert.ok(!done, 'the merged event stream ended')
            text += new TextDecoder().decode(value)
          }
        } finally {
          clearInterval(emitter)
        }
        assert.match(text, /"flocker\.host":"good"/)
      } finally {
        await reader.cancel()
      }
      await stillServing()
    })

    test('garbage to everything: the host turns unhealthy, docker info says so, the rest answers', async () => {
      bad.heal()
      bad.breakPath(/.*/, 'garbage')
      await waitForHostStatus(flocker.port, 'bad', 'Unhealthy')
      const seen = await ask(flocker.port, 'GET', '/v1.41/containers/json')
      assert.equal(seen.status, 200)
      bad.heal()
      await stillServing()
    })
  })
}
