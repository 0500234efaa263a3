import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { main } from '../../src/cli.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
import { eventually } from '../support/eventually.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'
import { freePort } from '../support/flocker.ts'

let engines: FakeEngine[]
let shutdown: (() => void | Promise<void>) | undefined
let port: number
const writes: string[] = []

before(async () => {
  engines = await startFakeEngines(2)
  port = await freePort()
  const args = ['-H', `tcp://127.0.0.1:${port}`, ...engines.map((e) => `--node=${e.name}=${e.url}`)]
  await main({
    ...nodeAdapter,
    platform: {
      ...nodeAdapter.platform,
      args: () => args,
      env: () => undefined,
      stdout: () => {},
      stderr: (text) => void writes.push(text),
      onShutdown: (handler) => void (shutdown = handler),
    },
  })
})

after(async () => {
  await shutdown?.()
  await Promise.all(engines.map((e) => e.stop()))
})

test("a create's placement log line and its audit line go to stderr in one write, in the order made", async () => {
  writes.length = 0
  const answer = await fetch(`http://127.0.0.1:${port}/v1.41/containers/create?name=batched`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Image: 'busybox:local' }),
  })
  assert.equal(answer.status, 201)
  await answer.body?.cancel()
  const write = await eventually(() => {
    const found = writes.find((text) => text.includes('route="POST /containers/create"'))
    assert.ok(found, 'no audit line yet')
    return Promise.resolve(found)
  })
  const lines = write.split('\n')
  const placement = lines.findIndex((line) => /flocker·placement: create batched .* -> fake\d/.test(line))
  const audit = lines.findIndex((line) => line.startsWith('audit ') && line.includes('status=201'))
  assert.ok(placement >= 0, `the placement line is not in the audit line's write:\n${write}`)
  assert.ok(placement < audit, write)
})

test('a warning goes out at once, with the lines queued before it: a refused placement is not held back', async () => {
  writes.length = 0
  const answer = await fetch(`http://127.0.0.1:${port}/v1.41/containers/create?name=nowhere`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Image: 'busybox:local', Env: ['constraint:node==nothere'] }),
  })
  assert.notEqual(answer.status, 201)
  await answer.body?.cancel()
  // No waiting: the line was written before the answer went out.
  assert.ok(
    writes.some((text) => /flocker·placement: create nowhere .* refused/.test(text)),
    writes.join('\n'),
  )
})
