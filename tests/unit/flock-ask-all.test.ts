import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type HostAnswer, joinFailures } from '../../src/flock/ask-all.ts'
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
