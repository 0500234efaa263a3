import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { api, checkUntilDown, clearBoth, comparedSides, hostsOfContainer } from './compare-support.ts'

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
      // Named with its host, as in the create: the engine gets the bare name.
      await dockerOk(flock(), [
        'create',
        '--name',
        'cmp-joins2',
        '--network',
        'node2/cmp-only',
        IMAGE,
        'true',
      ])
      assert.deepEqual(await hostsOfContainer(sides(), 'cmp-joins2'), ['node2'])
      await dockerOk(flock(), ['rm', 'cmp-joins2'])
      await dockerOk(flock(), ['network', 'inspect', 'node2/cmp-only'])
      await dockerOk(flock(), ['rm', '-f', 'cmp-joins'])
      await dockerOk(flock(), ['network', 'rm', 'node2/cmp-only'])
      assert.deepEqual(await namesOn('network', 'cmp-only'), [])
    },
  )

  test(
    'volume create HOST/NAME makes it on that host, and a container mounting it lands there',
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
      await dockerOk(flock(), ['create', '--name', 'cmp-mounts2', '-v', 'node3/cmp-vol:/data', ...NET, IMAGE])
      assert.deepEqual(await hostsOfContainer(sides(), 'cmp-mounts2'), ['node3'])
      await dockerOk(flock(), ['rm', 'cmp-mounts2'])
      assert.match(
        await dockerOk(flock(), ['volume', 'inspect', '-f', '{{.Name}}', 'node3/cmp-vol']),
        /^cmp-vol/,
      )
      await dockerOk(flock(), ['rm', 'cmp-mounts'])
      await dockerOk(flock(), ['volume', 'rm', 'node3/cmp-vol'])
    },
  )

  test('network connect, disconnect and rm by ID act on the copy of each host, as on one network', async () => {
    for (const host of [sides().engine, flock()]) {
      // flocker answers with the first host's copy; the container lands on another host.
      const id = (await dockerOk(host, ['network', 'create', 'cmp-ids'])).trim()
      await dockerOk(host, ['create', '--name', 'cmp-member', '-e', 'constraint:node==node3', IMAGE, 'true'])
      await dockerOk(host, ['network', 'connect', id, 'cmp-member'])
      const joined = await dockerOk(host, [
        'inspect',
        '-f',
        '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}',
        'cmp-member',
      ])
      assert.match(joined, /\bcmp-ids\b/, host)
      await dockerOk(host, ['network', 'disconnect', id.slice(0, 12), 'cmp-member'])
      await dockerOk(host, ['rm', 'cmp-member'])
      await dockerOk(host, ['network', 'rm', id.slice(0, 12)])
    }
    assert.deepEqual(await namesOn('network', 'cmp-ids'), [])
  })

  test('links and volumes-from to containers on two hosts are refused with 400 saying what is where', async () => {
    await dockerOk(flock(), [
      'create',
      '--name',
      'cmp-dep1',
      '-e',
      'constraint:node==node1',
      ...NET,
      IMAGE,
      'true',
    ])
    await dockerOk(flock(), [
      'create',
      '--name',
      'cmp-dep2',
      '-e',
      'constraint:node==node2',
      ...NET,
      IMAGE,
      'true',
    ])
    const body = { Image: IMAGE, HostConfig: { Links: ['cmp-dep1:a', 'cmp-dep2:b'] } }
    const split = await api(flock(), 'POST', `${V}/containers/create?name=cmp-both`, { body })
    assert.equal(split.status, 400, split.text)
    assert.match(
      split.json().message,
      /no one host holds container cmp-dep1 \(on node1\), container cmp-dep2 \(on node2\)/,
    )
    const cli = await docker(flock(), ['create', '--volumes-from', 'cmp-dep1', '--link', 'cmp-dep2', IMAGE])
    assert.notEqual(cli.code, 0)
    assert.match(cli.err, /no one host holds/)
    // One of them alone: the new container goes beside it.
    await dockerOk(flock(), ['create', '--name', 'cmp-beside', '--volumes-from', 'cmp-dep2', ...NET, IMAGE])
    assert.deepEqual(await hostsOfContainer(sides(), 'cmp-beside'), ['node2'])
    await clearBoth(sides())
  })

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

  test('ps -a with a host down shows its containers marked as on a host that is down', async () => {
    await dockerOk(engineOf(2), ['create', '--name', 'cmp-on-down', ...NET, IMAGE, 'true'])
    // What flocker last saw of node3 (a whole list) is what it can show once node3 is down.
    assert.match(await dockerOk(flock(), ['ps', '-a', '--format', '{{.Names}}']), /cmp-on-down/)
    await sides().flockEngines.stop(3)
    try {
      await checkUntilDown(sides())
      const listed = await dockerOk(flock(), ['ps', '-a', '--format', '{{.Names}}\t{{.Status}}'])
      assert.match(listed, /cmp-on-down\tHost Down/)
      // Without -a, only what was running there, as for live hosts.
      assert.doesNotMatch(await dockerOk(flock(), ['ps', '--format', '{{.Names}}']), /cmp-on-down/)
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
