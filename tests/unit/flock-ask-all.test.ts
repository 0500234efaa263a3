import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { describe, test } from 'node:test'
import { askAll, askUntilFound, type HostAnswer, joinFailures } from '../../src/flock/ask-all.ts'
import type { Host } from '../../src/flock/host.ts'
import { publicMissingHosts } from '../../src/front-door/public-errors.ts'
import { missingHostsHeader } from '../../src/routes/missing-hosts.ts'

const timedOut = (i: number): HostAnswer<unknown> => ({
  host: { name: `sim${i}` } as Host,
  ok: false,
  error: new Error(`host sim${i} did not answer in time`),
})

describe('the missing-hosts list stays short enough for any client', () => {
  test('500 hosts timing out: a header under 4 KiB that counts the hosts it leaves out', () => {
    const answers = Array.from({ length: 500 }, (_, i) => timedOut(i + 1))
    const header = missingHostsHeader(answers)['X-Flocker-Missing-Hosts']!
    assert.ok(header.length < 4096, `header of ${header.length} characters`)
    const listed = header.split('; ').filter((part) => part.startsWith('sim')).length
    const more = Number(/; and (\d+) more hosts$/.exec(header)?.[1])
    assert.equal(listed + more, 500)
    assert.ok(header.startsWith('sim1 (host sim1 did not answer in time); sim2 ('))
  })

  test('a few hosts are all named, a long reason is cut', () => {
    assert.equal(joinFailures(['a (x)', 'b (y)']), 'a (x); b (y)')
    const long = joinFailures([`a (${'e'.repeat(1000)})`])
    assert.ok(long.length <= 300 && long.endsWith('…)'))
  })

  test('the public form keeps the count of hosts left out', () => {
    assert.equal(
      publicMissingHosts('n1 (connect ECONNREFUSED 10.0.0.1:2375); n2 (unhealthy: x); and 7 more hosts'),
      'n1 (no answer); n2 (unhealthy); and 7 more hosts',
    )
  })
})

describe('a host that answered leaves nothing on the signal', () => {
  const hosts = [{ name: 'node1' }, { name: 'node2' }] as Host[]

  test('askAll: the timeout signal keeps no listener (it held the answers until it fired)', async () => {
    const signals: AbortSignal[] = []
    const answers = await askAll(hosts, (_, signal) => {
      signals.push(signal)
      return Promise.resolve('rows')
    }, 60_000)
    assert.deepEqual(answers.map((a) => a.ok), [true, true])
    for (const signal of signals) assert.equal(getEventListeners(signal, 'abort').length, 0)
  })

  test('askUntilFound: the same, and a host still asking is cut off with a timeout error', async () => {
    let signal: AbortSignal | undefined
    const answers = await askUntilFound(hosts, (host, s) => {
      signal = s
      return host.name === 'node1' ? Promise.resolve('found') : new Promise(() => {})
    }, 10)
    assert.equal(answers[0]!.ok, true)
    assert.match(String(!answers[1]!.ok && answers[1]!.error), /node2 did not answer in time/)
    assert.equal(getEventListeners(signal!, 'abort').length, 0)
  })
})
