import assert from 'node:assert/strict'
import { test } from 'node:test'
import { choose } from '../../src/schedule/scheduler.ts'
import { createRequest } from '../../src/schedule/request.ts'
import { container, fakeHost, GIB, state } from '../support/scheduling.ts'
import { loadRe2 } from '../../src/docker/re2.ts'

// re2js loads after start-up (the app waits for it); these tests call the matchers directly.
await loadRe2()

const hosts = [fakeHost('node1'), fakeHost('node2'), fakeHost('node3')]
const request = createRequest(undefined, { Image: 'busybox:local' }).request

test('spread: the host with the fewest live containers; ties go to the first', () => {
  const states = [state(hosts[0]!, [container('a')]), state(hosts[1]!, []), state(hosts[2]!, [])]
  assert.equal(choose(request, states, 'spread').host.name, 'node2')
  const exitedOnly = [
    state(hosts[0]!, []),
    state(hosts[1]!, [container('b', { state: 'exited' })]),
    state(hosts[2]!),
  ]
  assert.equal(choose(request, exitedOnly, 'spread').host.name, 'node1')
})

test('binpack: the fullest host that still fits', () => {
  const states = [
    state(hosts[0]!, [container('a')]),
    state(hosts[1]!, [container('b'), container('c')]),
    state(hosts[2]!),
  ]
  assert.equal(choose(request, states, 'binpack').host.name, 'node2')
  const reserved = container('r', { hostConfig: { memory: 3 * GIB, cpus: 0, hostPorts: [] } })
  const full = [
    state(hosts[0]!, [reserved]),
    state(hosts[1]!, [container('b'), container('c')]),
    state(hosts[2]!),
  ]
  assert.equal(choose(request, full, 'binpack').host.name, 'node1')
  const big = createRequest(undefined, { Image: 'busybox:local', HostConfig: { Memory: 2 * GIB } }).request
  assert.equal(choose(big, full, 'binpack').host.name, 'node2')
})

test('random: only hosts that pass the filters, and each of them sometimes', () => {
  const states = hosts.map((h) => state(h))
  const constrained =
    createRequest(undefined, { Image: 'busybox:local', Env: ['constraint:node!=node2'] }).request
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) seen.add(choose(constrained, states, 'random').host.name)
  assert.deepEqual([...seen].sort(), ['node1', 'node3'])
})
