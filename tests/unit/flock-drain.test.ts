import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Flock } from '../../src/flock/flock.ts'
import type { HostClient, HostTransport } from '../../src/runtime/types.ts'

// A host dropped from the inventory while sessions to it are open is drained (see Flock): it stays
// reachable for exec lookups until its last session ends (plus a linger), unless its address is back.

const closed: string[] = []
const transport: HostTransport = {
  connect: (endpoint) =>
    ({
      request: () => Promise.reject(new Error('not used')),
      upgrade: () => Promise.reject(new Error('not used')),
      close: () => closed.push(endpoint.kind === 'tcp' ? String(endpoint.port) : endpoint.path),
    }) as HostClient,
}
const spec = (n: number) => ({ name: `h${n}`, url: `tcp://127.0.0.1:${2370 + n}` })

test('a host dropped with open sessions drains; one dropped idle is gone at once', () => {
  const flock = new Flock(transport, [spec(1), spec(2), spec(3)])
  flock.byName('h2')!.liveSessions = 2
  flock.setHosts([spec(1)])
  assert.deepEqual(flock.all.map((host) => host.name), ['h1'])
  assert.deepEqual(flock.draining.map((host) => host.name), ['h2'])
  const drained = flock.draining[0]!
  drained.liveSessions = 0
  drained.onSessionsEnded?.()
  // Still draining during the linger: the CLI asks the exit code after the session ends.
  assert.deepEqual(flock.draining.map((host) => host.name), ['h2'])
})

test('a drained host whose address is back in the flock is not asked twice', () => {
  const flock = new Flock(transport, [spec(1), spec(2)])
  flock.byName('h2')!.liveSessions = 1
  flock.setHosts([spec(1)])
  assert.equal(flock.draining.length, 1)
  flock.setHosts([spec(1), spec(2)])
  assert.equal(flock.draining.length, 0)
  assert.deepEqual(flock.all.map((host) => host.name), ['h1', 'h2'])
})
