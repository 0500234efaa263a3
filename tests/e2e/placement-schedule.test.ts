/**
 * Scheduling against three real engines (labels region=eu/us/ap). Placement logic does not depend
 * on the runtime, so this file runs flocker on Node only; placement-images covers all three.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { type RunningFlocker, startFlocker } from '../support/flocker.ts'
import { run } from '../support/run.ts'
import { clearContainers, whereIs } from './placement-support.ts'

let engines: LocalEngines
let spread: RunningFlocker
let binpack: RunningFlocker
const nodes = () => engines.engines.map((e) => `--node=${e.flag}`)

before(async () => {
  engines = await startEngines(3, { 1: ['region=eu', 'disk=ssd'], 2: ['region=us-east'], 3: ['region=ap'] })
  spread = await startFlocker('node', nodes())
  binpack = await startFlocker('node', [...nodes(), '--strategy', 'binpack'])
})
after(async () => {
  await spread?.stop()
  await binpack?.stop()
  await engines?.down()
})
afterEach(async () => {
  await clearContainers(engines)
})

const create = (flocker: RunningFlocker, name: string, ...args: string[]) =>
  dockerOk(flocker.dockerHost, ['create', '--name', name, ...NET, ...args, IMAGE, 'sleep', '600'])

describe('strategies', () => {
  test('spread puts each new container on the emptiest host', async () => {
    for (const name of ['s1', 's2', 's3']) await create(spread, name)
    const hosts = await Promise.all(['s1', 's2', 's3'].map((n) => whereIs(engines, n)))
    assert.deepEqual(hosts.flat().sort(), ['node1', 'node2', 'node3'])
  })

  test('binpack fills one host first', async () => {
    for (const name of ['b1', 'b2', 'b3']) await create(binpack, name)
    const hosts = await Promise.all(['b1', 'b2', 'b3'].map((n) => whereIs(engines, n)))
    assert.deepEqual(hosts.flat(), ['node1', 'node1', 'node1'])
  })

  test('binpack moves on when memory reservations fill a host', async () => {
    const total = Number((await dockerOk(engines.engines[0]!.url, ['info', '-f', '{{.MemTotal}}'])).trim())
    const sixty = `${Math.floor(total * 0.6 / 1024 / 1024)}m`
    await create(binpack, 'm1', '--memory', sixty)
    await create(binpack, 'm2', '--memory', sixty)
    assert.deepEqual(await whereIs(engines, 'm1'), ['node1'])
    assert.deepEqual(await whereIs(engines, 'm2'), ['node2'])
  })
})

describe('filters', () => {
  test('constraint on a label: ==, glob, regex, !=; the env entry never reaches the engine', async () => {
    await create(spread, 'c1', '-e', 'constraint:region==us-*', '-e', 'KEEP=1')
    await create(spread, 'c2', '-e', 'constraint:region==/^a/')
    await create(spread, 'c3', '-e', 'constraint:region!=ap', '-e', 'constraint:disk==ssd')
    assert.deepEqual(await whereIs(engines, 'c1'), ['node2'])
    assert.deepEqual(await whereIs(engines, 'c2'), ['node3'])
    assert.deepEqual(await whereIs(engines, 'c3'), ['node1'])
    const env = await dockerOk(spread.dockerHost, ['inspect', '-f', '{{json .Config.Env}}', 'c1'])
    assert.ok(env.includes('KEEP=1'))
    assert.ok(!env.includes('constraint'), env)
  })

  test('constraint on the node name, and as container labels', async () => {
    await create(spread, 'n1', '-e', 'constraint:node==node3')
    await create(spread, 'n2', '--label', 'com.docker.swarm.constraints=["region==us-east"]')
    await create(spread, 'n3', '--label', 'constraint:node==node3')
    assert.deepEqual(await whereIs(engines, 'n1'), ['node3'])
    assert.deepEqual(await whereIs(engines, 'n2'), ['node2'])
    assert.deepEqual(await whereIs(engines, 'n3'), ['node3'])
  })

  test('soft constraint: honoured when possible, ignored when not', async () => {
    await create(spread, 'f1', '-e', 'constraint:region==~ap')
    await create(spread, 'f2', '-e', 'constraint:region==~mars')
    assert.deepEqual(await whereIs(engines, 'f1'), ['node3'])
    assert.equal((await whereIs(engines, 'f2')).length, 1)
  })

  test('affinity to a container and to an image', async () => {
    await create(spread, 'db', '-e', 'constraint:node==node2')
    await create(spread, 'a1', '-e', 'affinity:container==db')
    await create(spread, 'a2', '-e', 'affinity:container!=db', '-e', 'constraint:region!=eu')
    assert.deepEqual(await whereIs(engines, 'a1'), ['node2'])
    assert.deepEqual(await whereIs(engines, 'a2'), ['node3'])
    await dockerOk(engines.engines[2]!.url, ['tag', IMAGE, 'only-on-3:1'])
    try {
      await create(spread, 'a3', '-e', 'affinity:image==only-on-3:1')
      assert.deepEqual(await whereIs(engines, 'a3'), ['node3'])
    } finally {
      await docker(engines.engines[2]!.url, ['rmi', 'only-on-3:1'])
    }
  })

  test('--volumes-from, --link and --network container: land beside their target', async () => {
    await create(spread, 'target', '-e', 'constraint:node==node3')
    await create(spread, 'other1')
    await dockerOk(spread.dockerHost, [
      'create',
      '--name',
      'd1',
      '--volumes-from',
      'target',
      ...NET,
      IMAGE,
      'true',
    ])
    await dockerOk(spread.dockerHost, [
      'create',
      '--name',
      'd2',
      '--network',
      'container:target',
      IMAGE,
      'true',
    ])
    assert.deepEqual(await whereIs(engines, 'd1'), ['node3'])
    assert.deepEqual(await whereIs(engines, 'd2'), ['node3'])
  })

  test('a link on a user-defined network to a name created later: accepted, and the name lands beside it', async () => {
    // dockerd takes `--network NET --link NAME:ALIAS` before NAME exists (docker-py's network tests do).
    await dockerOk(spread.dockerHost, ['network', 'create', '--internal', 'linknet'])
    try {
      const onNet = (name: string, ...args: string[]) =>
        dockerOk(spread.dockerHost, [
          'create',
          '--name',
          name,
          '--network',
          'linknet',
          ...args,
          IMAGE,
          'sleep',
          '600',
        ])
      await onNet('linker', '--link', 'upstream:bar')
      const [linkerHost] = await whereIs(engines, 'linker')
      // Spread alone would put the next create on another, emptier host.
      await onNet('upstream')
      assert.deepEqual(await whereIs(engines, 'upstream'), [linkerHost])
      // A link to a container that exists takes the container to it.
      await create(spread, 'filler1')
      await create(spread, 'filler2')
      await onNet('second', '--link', 'upstream:up')
      assert.deepEqual(await whereIs(engines, 'second'), [linkerHost])
      // The same through `network connect --link` (docker-py's test_connect_with_links).
      await onNet('connector')
      const [connectorHost] = await whereIs(engines, 'connector')
      await dockerOk(spread.dockerHost, ['network', 'disconnect', 'linknet', 'connector'])
      await dockerOk(spread.dockerHost, ['network', 'connect', '--link', 'later:baz', 'linknet', 'connector'])
      await create(spread, 'filler3')
      await onNet('later')
      assert.deepEqual(await whereIs(engines, 'later'), [connectorHost])
      // A connect the engine refuses (a container on network none joins no other) leaves no preference:
      // ghost goes where spread puts it, an emptier host, not beside the loner.
      await create(spread, 'loner', '-e', 'affinity:container==connector')
      const refused = await docker(spread.dockerHost, [
        'network',
        'connect',
        '--link',
        'ghost:g',
        'linknet',
        'loner',
      ])
      assert.notEqual(refused.code, 0, refused.out)
      await onNet('ghost')
      assert.notDeepEqual(await whereIs(engines, 'ghost'), [connectorHost])
    } finally {
      await clearContainers(engines)
      await docker(spread.dockerHost, ['network', 'rm', 'linknet'])
    }
  })

  test('host-port conflicts: a published port is taken once per host', async () => {
    for (const name of ['p1', 'p2', 'p3']) await create(spread, name, '-p', '18080:80')
    const hosts = await Promise.all(['p1', 'p2', 'p3'].map((n) => whereIs(engines, n)))
    assert.deepEqual(hosts.flat().sort(), ['node1', 'node2', 'node3'])
    const fourth = await docker(spread.dockerHost, [
      'create',
      '--name',
      'p4',
      ...NET,
      '-p',
      '18080:80',
      IMAGE,
    ])
    assert.notEqual(fourth.code, 0)
    assert.match(
      fourth.err,
      /no host can take container p4: ports: node1 \(host port 0\.0\.0\.0:18080\/tcp is in use\)/,
    )
  })

  test('a request that fits nowhere says which filter removed which host', async () => {
    const result = await docker(spread.dockerHost, ['create', ...NET, '-e', 'constraint:region==mars', IMAGE])
    assert.notEqual(result.code, 0)
    assert.match(result.err, /constraints: node1 \(does not satisfy constraint:region==mars\), node2 .*node3/)
    const huge = await docker(spread.dockerHost, ['create', ...NET, '--cpus', '64', IMAGE])
    assert.match(huge.err, /resources: node1 \(needs 64 CPUs/)
    assert.deepEqual((await docker(spread.dockerHost, ['ps', '-aq'])).out.trim(), '')
  })

  test('names are unique across the flock: the 409 names the host', async () => {
    await create(spread, 'unique', '-e', 'constraint:node==node2')
    const again = await docker(spread.dockerHost, ['create', '--name', 'unique', ...NET, IMAGE])
    assert.notEqual(again.code, 0)
    assert.match(again.err, /"\/unique" is already in use by container "[0-9a-f]{64}" on host node2/)
    // Taken on an engine directly, not through flocker, right after flocker last read the hosts.
    await dockerOk(engines.engines[2]!.url, ['create', '--name', 'taken-directly', ...NET, IMAGE, 'true'])
    const direct = await docker(spread.dockerHost, ['create', '--name', 'taken-directly', ...NET, IMAGE])
    assert.notEqual(direct.code, 0)
    assert.match(direct.err, /"\/taken-directly" is already in use by container "[0-9a-f]{64}" on host node3/)
  })
})

describe('docker-compose v1', () => {
  const COMPOSE = `version: "2.4"
services:
  db:
    image: ${IMAGE}
    command: sh -c 'echo db ready; exec sleep 600'
    network_mode: none
    volumes: [data:/data]
  web:
    image: ${IMAGE}
    command: sh -c 'echo web ready; exec sleep 600'
    network_mode: none
    depends_on: [db]
    volumes_from: [db]
  worker:
    image: ${IMAGE}
    command: sh -c 'echo worker ready; exec sleep 600'
volumes:
  data: {}
`

  test('up -d, ps, logs, exec, down -v: one project, its volume and network, on one host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flocker-compose-'))
    writeFileSync(join(dir, 'docker-compose.yml'), COMPOSE)
    // Something on node1 and node2 already, so spread alone would scatter the project.
    await create(spread, 'busy1', '-e', 'constraint:node==node1')
    const compose = (...args: string[]) =>
      run('docker-compose', ['-p', 'shop', ...args], {
        cwd: dir,
        env: { DOCKER_HOST: spread.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1' },
        timeout: 120_000,
      })
    try {
      const up = await compose('up', '-d', '--scale', 'worker=2')
      assert.equal(up.code, 0, up.err)
      const hosts = new Set<string>()
      for (const name of ['shop_db_1', 'shop_web_1', 'shop_worker_1', 'shop_worker_2']) {
        for (const host of await whereIs(engines, name)) hosts.add(host)
      }
      assert.equal(hosts.size, 1, `project spread over ${[...hosts]}`)

      const ps = await compose('ps')
      assert.equal(ps.code, 0, ps.err)
      for (const name of ['shop_db_1', 'shop_web_1', 'shop_worker_2']) assert.match(ps.out, new RegExp(name))

      await waitFor(async () => (await compose('logs', '--no-color', 'web')).out.includes('web ready'))
      const exec = await compose('exec', '-T', 'web', 'sh', '-c', 'echo hi > /data/x && cat /data/x')
      assert.equal(exec.code, 0, exec.err)
      assert.equal(exec.out, 'hi\n')

      const down = await compose('down', '-v')
      assert.equal(down.code, 0, down.err)
      assert.equal(
        (await docker(spread.dockerHost, ['ps', '-aq', '--filter', 'label=com.docker.compose.project=shop']))
          .out,
        '',
      )
      const volumes = await docker(spread.dockerHost, ['volume', 'ls', '-q'])
      assert.ok(!volumes.out.includes('shop_data'), volumes.out)
      // worker has no network_mode: compose made shop_default (on every host) and removed it again.
      for (const engine of engines.engines) {
        assert.equal(
          (await dockerOk(engine.url, ['network', 'ls', '-q', '--filter', 'name=shop_default'])).trim(),
          '',
        )
      }
    } finally {
      await compose('down', '-v')
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

async function waitFor(check: () => Promise<boolean>) {
  for (let i = 0; i < 60; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('condition not met in 30 s')
}
