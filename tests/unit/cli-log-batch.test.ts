import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { main } from '../../src/cli.ts'
import { log } from '../../src/log/logger.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
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

test('log lines made in one turn of the event loop go out in one write, within a few milliseconds', async () => {
  writes.length = 0
  log('placement').info('create first (busybox:local) -> fake1 by scheduler: one')
  log('placement').info('create second (busybox:local) -> fake2 by scheduler: two')
  assert.deepEqual(writes, [], 'written before the turn ended')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const ours = writes.filter((text) => /create (first|second)/.test(text))
  assert.equal(ours.length, 1, writes.join('\n---\n'))
  assert.match(ours[0]!, /create first[^\n]*\n[^\n]*create second/)
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
