import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { choose } from '../../src/schedule/scheduler.ts'
import { buildRequest, createRequest } from '../../src/schedule/request.ts'
import { PlacementMemory } from '../../src/schedule/memory.ts'
import { container, fakeHost, GIB, state } from '../support/scheduling.ts'
import { loadRe2 } from '../../src/docker/re2.ts'

// re2js loads after start-up (the app waits for it); these tests call the matchers directly.
await loadRe2()

const eu = fakeHost('node1', { region: 'eu', disk: 'ssd' })
const us = fakeHost('node2', { region: 'us-east' })
const ap = fakeHost('node3', { region: 'ap' })

function pick(body: Record<string, unknown>, states = [state(eu), state(us), state(ap)], name?: string) {
  return choose(createRequest(name, { Image: 'busybox:local', ...body }).request, states, 'spread').host.name
}

describe('constraint filter', () => {
  test('label ==, !=, glob, regex, node name', () => {
    assert.equal(pick({ Env: ['constraint:region==eu'] }), 'node1')
    assert.equal(pick({ Env: ['constraint:region==us-*'] }), 'node2')
    assert.equal(pick({ Env: ['constraint:region==/^a/'] }), 'node3')
    assert.equal(pick({ Env: ['constraint:node==node3'] }), 'node3')
    assert.equal(pick({ Env: ['constraint:region!=eu', 'constraint:region!=us-east'] }), 'node3')
  })
  test('constraints as container labels', () => {
    assert.equal(pick({ Labels: { 'com.docker.swarm.constraints': '["region==ap"]' } }), 'node3')
  })
  test('a soft constraint that nothing satisfies is ignored', () => {
    assert.equal(pick({ Env: ['constraint:region==~mars'] }), 'node1')
    assert.equal(pick({ Env: ['constraint:region==~ap'] }), 'node3')
  })
  test('the constraint env entries are removed from the body', () => {
    const { body } = createRequest('x', {
      Image: 'i',
      Env: ['A=1', 'constraint:region==eu', 'affinity:image==~x'],
    })
    assert.deepEqual(body.Env, ['A=1'])
  })
  test('no host fits: the message names each filter and host', () => {
    assert.throws(() => pick({ Env: ['constraint:region==mars'] }), (error: Error & { status?: number }) => {
      assert.equal(error.status, 503)
      assert.match(error.message, /constraints: node1 \(does not satisfy constraint:region==mars\), node2/)
      return true
    })
  })
})

describe('affinity and dependency filters', () => {
  const states = () => [state(eu), state(us, [container('db')]), state(ap, [], ['redis:latest'])]
  test('container and image affinities', () => {
    assert.equal(pick({ Env: ['affinity:container==db'] }, states()), 'node2')
    assert.equal(pick({ Env: ['affinity:container!=db', 'affinity:image==redis'] }, states()), 'node3')
    assert.equal(pick({ Env: ['affinity:image==~nothing'] }, states()), 'node1')
  })
  test('--volumes-from, --link and --network container:x land beside their target', () => {
    assert.equal(pick({ HostConfig: { VolumesFrom: ['db:ro'] } }, states()), 'node2')
    assert.equal(pick({ HostConfig: { Links: ['/db:/x/db'] } }, states()), 'node2')
    assert.equal(pick({ HostConfig: { NetworkMode: 'container:db' } }, states()), 'node2')
    assert.throws(
      () => pick({ HostConfig: { VolumesFrom: ['ghost'] } }, states()),
      /does not hold container ghost/,
    )
  })
  test('a link on a user-defined network draws the container, and does not need its target yet', () => {
    const onNetwork = (links: string[]) => ({ HostConfig: { NetworkMode: 'backend', Links: links } })
    // dockerd takes `--network backend --link ghost:g`: ghost may be created later.
    assert.equal(pick(onNetwork(['ghost:g']), states()), 'node1')
    assert.equal(pick(onNetwork(['db:alias']), states()), 'node2')
    const endpoint = { NetworkingConfig: { EndpointsConfig: { backend: { Links: ['db:alias'] } } } }
    assert.equal(pick(endpoint, states()), 'node2')
    // On the default bridge the engine refuses a link to a missing container: so does placement.
    assert.throws(
      () => pick({ HostConfig: { Links: ['ghost:g'] } }, states()),
      /does not hold container ghost/,
    )
  })
  test('a name linked to before it existed goes beside the containers that link to it', () => {
    const { request } = createRequest('upstream', { Image: 'busybox:local' })
    const all = [state(eu), state(us), state(ap)]
    assert.equal(choose(request, all, 'spread').host.name, 'node1')
    assert.equal(choose({ ...request, linkedFrom: ['node3'] }, all, 'spread').host.name, 'node3')
    // A preference: a host that cannot take it is not forced.
    const pinned =
      createRequest('upstream', { Image: 'busybox:local', Env: ['constraint:region==eu'] }).request
    assert.equal(choose({ ...pinned, linkedFrom: ['node3'] }, all, 'spread').host.name, 'node1')
  })
  test('the memory of placements names the hosts whose containers link to a name', () => {
    const memory = new PlacementMemory()
    const linking = (name: string) =>
      createRequest(name, {
        Image: 'busybox:local',
        HostConfig: { NetworkMode: 'backend', Links: ['/upstream:/x/bar'] },
      }).request
    memory.placed(ap, linking('a'))
    memory.placed(ap, linking('b'))
    assert.deepEqual(memory.linkedFrom('upstream'), ['node3'])
    assert.deepEqual(memory.linkedFrom('other'), [])
    assert.deepEqual(memory.linkedFrom(undefined), [])
  })
  test('a hex-looking name is not taken for the ID prefix of a container on another host', () => {
    const lookalike = [
      state(eu, [container('other', { id: 'db41c0ffee00112233' })]),
      state(us, [container('db')]),
    ]
    assert.equal(pick({ HostConfig: { VolumesFrom: ['db'] } }, lookalike), 'node2')
    assert.equal(pick({ Env: ['affinity:container==db'] }, lookalike), 'node2')
  })
  test('compose projects stay together', () => {
    const project = { 'com.docker.compose.project': 'shop' }
    const withProject = [state(eu), state(us), state(ap, [container('shop_db_1', { labels: project })])]
    assert.equal(pick({ Labels: project }, withProject), 'node3')
    const volumeOnly = [state(eu), state(us, [], undefined, ['shop_data']), state(ap)]
    assert.equal(pick({ Labels: project }, volumeOnly), 'node2')
  })
  test('named volumes draw the container to the host that has them', () => {
    const states = [state(eu), state(us), state(ap, [], undefined, ['shop_data'])]
    assert.equal(pick({ HostConfig: { Binds: ['shop_data:/data:rw', '/tmp:/tmp'] } }, states), 'node3')
    assert.equal(
      pick({ HostConfig: { Mounts: [{ Type: 'volume', Source: 'shop_data', Target: '/d' }] } }, states),
      'node3',
    )
  })

  test('a volume or network one host has holds the container to it, even when it is fuller', () => {
    const busy = [container('a'), container('b')]
    const states = [state(eu), state(us), state(ap, busy, undefined, ['data'], ['backend'])]
    assert.equal(pick({ HostConfig: { Binds: ['data:/data'] } }, states), 'node3')
    assert.equal(pick({ HostConfig: { NetworkMode: 'backend' } }, states), 'node3')
    assert.equal(pick({ NetworkingConfig: { EndpointsConfig: { backend: {} } } }, states), 'node3')
    assert.equal(pick({ HostConfig: { NetworkMode: 'backend-id-0123' } }, states), 'node3')
    // Built-in networks and networks no host has yet pin nothing: spread decides.
    assert.equal(pick({ HostConfig: { NetworkMode: 'bridge' } }, states), 'node1')
    assert.equal(pick({ HostConfig: { NetworkMode: 'elsewhere' } }, states), 'node1')
  })

  test("a build whose networkmode names a network one host has (by its copy's ID) runs there", () => {
    const states = [state(eu), state(us), state(ap, [container('a')], undefined, [], ['front'])]
    const build = (mode: string) => choose(buildRequest(undefined, [], [], mode), states, 'spread').host.name
    assert.equal(build('front-id-0123456789abcdef'), 'node3')
    assert.equal(build('host'), 'node1')
  })

  test('what a container needs spread over two hosts is refused with 400, saying what is where', () => {
    const states = [
      state(eu, [container('a')], undefined, [], ['front']),
      state(us, [container('b')]),
      state(ap),
    ]
    const split = (body: Record<string, unknown>) =>
      assert.throws(() => pick(body, states, 'c'), (error: Error & { status?: number }) => {
        assert.equal(error.status, 400)
        assert.match(error.message, /cannot place container c: no one host holds/)
        return true
      })
    split({ HostConfig: { Links: ['/a:/c/a', '/b:/c/b'] } })
    split({ HostConfig: { VolumesFrom: ['a'], Links: ['b:b'] } })
    assert.throws(
      () => pick({ HostConfig: { Links: ['b:b'], NetworkMode: 'front' } }, states),
      /container b \(on node2\), network front \(on node1\)/,
    )
    assert.equal(pick({ HostConfig: { Links: ['a:a'], NetworkMode: 'front' } }, states), 'node1')
  })

  test('containers, volumes and networks named with their host pin the container there, bare to the engine', () => {
    const isHost = (name: string) => ['node1', 'node2', 'node3'].includes(name)
    const { request, body } = createRequest('c', {
      Image: 'busybox:local',
      HostConfig: {
        NetworkMode: 'node2/backend',
        Binds: ['node2/data:/data:ro', '/tmp:/tmp'],
        VolumesFrom: ['db@node2:ro'],
        Links: ['/node2/cache:/c/cache'],
        Mounts: [{ Type: 'volume', Source: 'logs@node2', Target: '/logs' }],
      },
      NetworkingConfig: { EndpointsConfig: { 'node2/backend': { Aliases: ['c'] } } },
    }, isHost)
    assert.deepEqual(body.HostConfig, {
      NetworkMode: 'backend',
      Binds: ['data:/data:ro', '/tmp:/tmp'],
      VolumesFrom: ['db:ro'],
      Links: ['cache:/c/cache'],
      Mounts: [{ Type: 'volume', Source: 'logs', Target: '/logs' }],
    })
    assert.deepEqual(body.NetworkingConfig, { EndpointsConfig: { backend: { Aliases: ['c'] } } })
    const states = [state(eu), state(us, [container('db'), container('cache')]), state(ap)]
    assert.equal(choose(request, states, 'spread').host.name, 'node2')
    assert.throws(
      () => createRequest('c', { HostConfig: { NetworkMode: 'node1/a', Binds: ['node2/v:/v'] } }, isHost),
      /of one host; this names node2\/v \(node2\), node1\/a \(node1\)/,
    )
    // Not a host: the name stands as written.
    assert.equal(
      createRequest('c', { HostConfig: { NetworkMode: 'web/x' } }, isHost).body.HostConfig?.NetworkMode,
      'web/x',
    )
  })

  test('an image only some hosts have draws the container there', () => {
    const states = [
      state(eu, [container('x')]),
      state(us, [container('y')], ['built:1', 'busybox:local']),
      state(ap),
    ]
    assert.equal(pick({ Image: 'built:1' }, states), 'node2')
    // From a registry (it has a repo digest): pullable anywhere, so spread decides.
    states[1]!.images.push({ id: 'sha256:bbb', tags: ['redis:7'], digests: ['redis@sha256:bbb'] })
    assert.equal(pick({ Image: 'redis:7' }, states), 'node3')
  })
})

describe('ports and resources', () => {
  const bound = (port: string) =>
    container('web' + port, { hostConfig: { memory: 0, cpus: 0, hostPorts: [`0.0.0.0:${port}/tcp`] } })
  test('a host port in use elsewhere excludes the host', () => {
    const states = [state(eu, [bound('80')]), state(us, [bound('80')]), state(ap, [bound('81')])]
    const body = { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '80' }] } } }
    assert.equal(pick(body, states), 'node3')
    const exited = [
      state(eu, [{ ...bound('80'), state: 'exited' }]),
      state(us, [bound('80')]),
      state(ap, [bound('80')]),
    ]
    assert.equal(pick(body, exited), 'node1')
  })
  test('memory and CPU reservations against capacity', () => {
    const big = container('big', { hostConfig: { memory: 3 * GIB, cpus: 2, hostPorts: [] } })
    const states = [state(eu, [big]), state(us), state(ap)]
    assert.equal(pick({ HostConfig: { Memory: 2 * GIB } }, states), 'node2')
    assert.equal(pick({ HostConfig: { NanoCpus: 1e9 } }, states), 'node2')
    assert.throws(
      () => pick({ HostConfig: { Memory: 5 * GIB } }, states),
      /resources: node1 \(needs 5120 MiB of memory, 1024 MiB of 4096 MiB unreserved\)/,
    )
  })
})
