import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import {
  api,
  checkUntilDown,
  clearBoth,
  comparedSides,
  DIFFERS,
  hostsOfContainer,
} from './compare-support.ts'

/**
 * Issue 10: what Swarm classic's own tests ask of a flock (host-qualified networks and volumes, hosts
 * that are down), and networks that behave as on separate machines.
 */
const sides = comparedSides()
const V = '/v1.41'
const flock = () => sides().flock
const engineOf = (i: number) => sides().flockEngines.engines[i]!.url

/** Names of the networks or volumes each of the flock's engines has (asked directly). */
async function namesOn(what: 'network' | 'volume', name: string): Promise<string[]> {
  const found: string[] = []
  for (const engine of sides().flockEngines.engines) {
    const listed = await dockerOk(engine.url, [what, 'ls', '--format', '{{.Name}}'])
    if (listed.split('\n').includes(name)) found.push(engine.name)
  }
  return found
}

describe('hosts in names, and hosts down: flocker as Swarm classic was asked to behave', () => {
  test(
    'networks made through flocker work as on one engine: containers on it reach each other',
    DIFFERS,
    async () => {
      for (const host of [sides().engine, flock()]) {
        await dockerOk(host, ['network', 'create', 'cmp-net'])
        await dockerOk(host, [
          'run',
          '-d',
          '--name',
          'cmp-srv',
          '--network',
          'cmp-net',
          IMAGE,
          'httpd',
          '-f',
          '-p',
          '80',
        ])
        const reached = await docker(host, [
          'run',
          '--rm',
          '--network',
          'container:cmp-srv',
          IMAGE,
          'wget',
          '-q',
          '-O',
          '-',
          'http://cmp-srv:80/',
        ])
        // busybox httpd with no files answers 404: the server was reached by its name.
        assert.match(reached.err + reached.out, /404/, host)
        await dockerOk(host, ['rm', '-f', 'cmp-srv'])
        await dockerOk(host, ['network', 'rm', 'cmp-net'])
      }
    },
  )

  test(
    'network create HOST/NAME makes it on that host only, and an unknown host is refused',
    DIFFERS,
    async () => {
      await dockerOk(flock(), ['network', 'create', 'node2/cmp-only'])
      assert.deepEqual(await namesOn('network', 'cmp-only'), ['node2'])
      const unknown = await docker(flock(), ['network', 'create', 'node9/cmp-x'])
      assert.notEqual(unknown.code, 0)
      assert.match(unknown.err, /node9/)
      await dockerOk(flock(), [
        'run',
        '-d',
        '--name',
        'cmp-joins',
        '--network',
        'cmp-only',
        IMAGE,
        'sleep',
        '60',
      ])
      assert.deepEqual(await hostsOfContainer(sides(), 'cmp-joins'), ['node2'])
      await dockerOk(flock(), ['network', 'inspect', 'node2/cmp-only'])
      await dockerOk(flock(), ['rm', '-f', 'cmp-joins'])
      await dockerOk(flock(), ['network', 'rm', 'node2/cmp-only'])
      assert.deepEqual(await namesOn('network', 'cmp-only'), [])
    },
  )

  test(
    'volume create HOST/NAME makes it on that host, and a container mounting it lands there',
    DIFFERS,
    async () => {
      await dockerOk(flock(), ['volume', 'create', 'node3/cmp-vol'])
      assert.deepEqual(await namesOn('volume', 'cmp-vol'), ['node3'])
      const unknown = await docker(flock(), ['volume', 'create', 'node9/cmp-x'])
      assert.notEqual(unknown.code, 0)
      await dockerOk(flock(), [
        'create',
        '--name',
        'cmp-mounts',
        '-v',
        'cmp-vol:/data',
        ...NET,
        IMAGE,
        'true',
      ])
      assert.deepEqual(await hostsOfContainer(sides(), 'cmp-mounts'), ['node3'])
      await dockerOk(flock(), ['rm', 'cmp-mounts'])
      await dockerOk(flock(), ['volume', 'rm', 'node3/cmp-vol'])
    },
  )

  test(
    'info shows per host `Containers: N (R Running, P Paused, S Stopped)`, fresh after a run',
    async () => {
      await dockerOk(engineOf(0), ['run', '-d', '--name', 'cmp-live', ...NET, IMAGE, 'sleep', '60'])
      await dockerOk(engineOf(0), ['create', '--name', 'cmp-idle', ...NET, IMAGE, 'true'])
      const info = (await api(flock(), 'GET', `${V}/info`)).json()
      const lines = (info.SystemStatus as [string, string][]).map(([k, v]) => `${k.trim()}: ${v}`)
      const node1 = lines.findIndex((line) => line.startsWith('node1:'))
      assert.ok(
        lines.slice(node1).includes('└ Containers: 2 (1 Running, 0 Paused, 1 Stopped)'),
        lines.join('\n'),
      )
      await clearBoth(sides())
    },
  )

  test('ps -a with a host down shows its containers marked as on a host that is down', DIFFERS, async () => {
    await dockerOk(engineOf(2), ['create', '--name', 'cmp-on-down', ...NET, IMAGE, 'true'])
    await sides().flockEngines.stop(3)
    try {
      await checkUntilDown(sides())
      const listed = await dockerOk(flock(), ['ps', '-a', '--format', '{{.Names}}\t{{.Status}}'])
      assert.match(listed, /cmp-on-down\tHost Down/)
    } finally {
      await sides().flockEngines.start(3)
      await sides().app.checkHosts()
    }
    await clearBoth(sides())
  })

  test('info with every host down lists them, Unhealthy, instead of an error', async () => {
    for (const i of [1, 2, 3]) await sides().flockEngines.stop(i)
    try {
      await checkUntilDown(sides())
      const info = await docker(flock(), ['info'])
      assert.match(info.out, /node1: [^\n]*\n\s*└ Status: Unhealthy/)
      assert.match(info.out, /node3: [^\n]*\n\s*└ Status: Unhealthy/)
    } finally {
      await Promise.all([1, 2, 3].map((i) => sides().flockEngines.start(i)))
      await sides().app.checkHosts()
    }
  })
})
