import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { rawRequest, statusOf } from '../support/raw-http.ts'
import { enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'

// Tenants: two identities whose grants name tenants `a` and `b` share a flock of two real engines
// through flocker; neither may see or touch the other's containers, execs, volumes or networks by
// any form of reference, nor find them in lists, events, info, df or prunes.
const engines = enginesForFile(2, {}, { registry: false })
const PREFIX = 'ten-'
const sha = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`
const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789', root: 'root-token-0123456789' }
const TENANT_GROUPS = {
  containers: 'write',
  exec: 'write',
  images: 'write',
  networks: 'write',
  volumes: 'write',
  events: 'read',
  info: 'read',
  system: 'read',
  logs: 'read',
  archive: 'write',
  export: 'write',
  top: 'read',
  build: 'write',
}

let dir: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'door-tenants-'))
  writeFileSync(
    join(dir, 'flocker.json'),
    JSON.stringify({
      tokens: Object.entries(TOKENS).map(([identity, token]) => ({ identity, sha256: sha(token) })),
      policy: {
        identities: {
          alice: { tenant: 'a', groups: TENANT_GROUPS },
          bob: { tenant: 'b', groups: TENANT_GROUPS },
          root: { admin: true },
        },
      },
    }),
  )
  for (const [name, token] of Object.entries(TOKENS)) {
    mkdirSync(join(dir, `cli-${name}`))
    writeFileSync(
      join(dir, `cli-${name}`, 'config.json'),
      JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }),
    )
  }
})
after(() => rmSync(dir, { recursive: true, force: true }))

type Who = keyof typeof TOKENS
type Json = Record<string, unknown>

for (const runtime of runtimes()) {
  describe(`tenants on ${runtime}`, () => {
    let flocker: RunningFlocker
    const as = (who: Who) => ({ env: { DOCKER_CONFIG: join(dir, `cli-${who}`) } })
    const cli = (who: Who, args: string[]) => docker(flocker.dockerHost, args, as(who))
    const cliOk = (who: Who, args: string[]) => dockerOk(flocker.dockerHost, args, as(who))
    const api = async (who: Who, method: string, path: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${flocker.port}/v1.41${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKENS[who]}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
      const text = await response.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: response.status, text, json: json as Json }
    }
    const direct = (i: number) => engines().engines[i]!.url
    const hostName = (i: number) => engines().engines[i]!.name

    // alice's objects, made once: a running container with an exec, a stopped one, a volume, a network.
    let web: string
    let execId: string
    before(async () => {
      flocker = await startFlocker(runtime, [
        ...engines().engines.map((e) => `--node=${e.flag}`),
        '--config',
        join(dir, 'flocker.json'),
      ])
      web = (await cliOk('alice', [
        'run',
        '-d',
        '--name',
        `${PREFIX}a-web`,
        ...NET,
        '-e',
        `constraint:node==${hostName(0)}`,
        // A client-supplied owner label is overwritten.
        '--label',
        'flocker.tenant=b',
        IMAGE,
        'sleep',
        '600',
      ])).trim()
      await cliOk('alice', ['create', '--name', `${PREFIX}a-stopped`, ...NET, IMAGE, 'true'])
      await cliOk('alice', ['volume', 'create', `${PREFIX}a-vol`])
      await cliOk('alice', ['network', 'create', '--internal', `${PREFIX}a-net`])
      const exec = await api('alice', 'POST', `/containers/${PREFIX}a-web/exec`, { Cmd: ['true'] })
      assert.equal(exec.status, 201, exec.text)
      execId = String(exec.json.Id)
    })
    after(async () => {
      for (const e of engines().engines) {
        await removeContainers(e.url, PREFIX)
        const volumes = (await docker(e.url, ['volume', 'ls', '-q'])).out.split('\n')
        const mine = volumes.filter((name) => name.startsWith(PREFIX))
        if (mine.length) await docker(e.url, ['volume', 'rm', '-f', ...mine])
        const networks = (await docker(e.url, ['network', 'ls', '--format', '{{.Name}}'])).out.split('\n')
        const ours = networks.filter((name) => name.startsWith(PREFIX))
        if (ours.length) await docker(e.url, ['network', 'rm', ...ours])
      }
      await flocker?.stop()
    })

    test("what a tenant creates carries its owner label, the client's value overwritten", async () => {
      const labels = JSON.parse(await dockerOk(direct(0), ['inspect', '-f', '{{json .Config.Labels}}', web]))
      assert.equal(labels['flocker.tenant'], 'a')
      const volume = await api('root', 'GET', `/volumes/${PREFIX}a-vol`)
      assert.equal((volume.json.Labels as Json)['flocker.tenant'], 'a')
      const network = await api('root', 'GET', `/networks/${PREFIX}a-net`)
      assert.equal((network.json.Labels as Json)['flocker.tenant'], 'a')
      // The owner sees its own by every form.
      for (const ref of [web, web.slice(0, 12), `${PREFIX}a-web`, `${PREFIX}a-web@${hostName(0)}`]) {
        const found = await api('alice', 'GET', `/containers/${encodeURIComponent(ref)}/json`)
        assert.equal(found.status, 200, `${ref}: ${found.text}`)
      }
      assert.equal((await api('alice', 'GET', `/containers/${hostName(0)}/${PREFIX}a-web/json`)).status, 200)
      assert.equal((await api('alice', 'GET', `/exec/${execId}/json`)).status, 200)
    })

    test("another tenant's container, by every form of reference, is a missing one", async () => {
      const refs: [string, string][] = [
        [web, web],
        [web.slice(0, 12), web.slice(0, 12)],
        [web.slice(0, 3), web.slice(0, 3)],
        [`${PREFIX}a-web`, `${PREFIX}a-web`],
        [`${PREFIX}a-web@${hostName(0)}`, `${PREFIX}a-web`],
      ]
      for (const [ref, shown] of refs) {
        const path = `/containers/${encodeURIComponent(ref)}`
        for (
          const [method, suffix, body] of [
            ['GET', '/json'],
            ['GET', '/logs?stdout=1'],
            ['GET', '/top'],
            ['GET', '/archive?path=/'],
            ['POST', '/kill'],
            ['POST', '/stop'],
            ['POST', '/exec', { Cmd: ['true'] }],
            ['POST', '/rename?name=ten-stolen'],
            ['DELETE', '?force=1'],
          ] as [string, string, unknown?][]
        ) {
          const answer = await api('bob', method, `${path}${suffix}`, body)
          assert.equal(answer.status, 404, `${method} ${path}${suffix}: ${answer.text}`)
          assert.equal(answer.json.message, `No such container: ${shown}`, `${method} ${path}${suffix}`)
        }
      }
      // Swarm's `host/name` in the path, as the docker CLI sends it.
      const slash = await api('bob', 'GET', `/containers/${hostName(0)}/${PREFIX}a-web/json`)
      assert.equal(slash.status, 404)
      assert.equal(slash.json.message, `No such container: ${PREFIX}a-web`)
      const commit = await api('bob', 'POST', `/commit?container=${PREFIX}a-web&repo=ten-stolen`)
      assert.equal(commit.status, 404, commit.text)
      // The docker CLI says what it says of a missing container.
      const inspected = await cli('bob', ['inspect', '--type', 'container', `${PREFIX}a-web`])
      assert.match(inspected.err, /No such container: ten-a-web/)
      const missing = await cli('bob', ['inspect', '--type', 'container', `${PREFIX}a-nothing`])
      assert.equal(
        inspected.err.replace('ten-a-web', 'X'),
        missing.err.replace('ten-a-nothing', 'X'),
      )
      // Nothing happened to it.
      assert.equal((await dockerOk(direct(0), ['inspect', '-f', '{{.State.Running}}', web])).trim(), 'true')
    })

    test("another tenant's exec is a missing exec", async () => {
      for (
        const [method, path] of [
          ['GET', `/exec/${execId}/json`],
          ['POST', `/exec/${execId}/resize?h=10&w=10`],
          ['POST', `/exec/${execId}/start`],
        ] as const
      ) {
        const answer = await api(
          'bob',
          method,
          path,
          method === 'POST' && path.endsWith('start') ? {} : undefined,
        )
        assert.equal(answer.status, 404, `${method} ${path}: ${answer.text}`)
        assert.equal(answer.json.message, `No such exec instance: ${execId}`)
      }
    })

    test("hijacked streams (attach, exec start with Upgrade) to another tenant's are missing too", async () => {
      const hijack = (path: string, body: string) =>
        rawRequest(
          flocker.port,
          `POST /v1.41${path} HTTP/1.1\r\nHost: docker\r\nAuthorization: Bearer ${TOKENS.bob}\r\n` +
            `Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${body.length}\r\n\r\n`,
          body,
        )
      const attach = await hijack(`/containers/${PREFIX}a-web/attach?stream=1&stdin=1&stdout=1`, '')
      assert.equal(statusOf(attach), 404, attach)
      assert.match(attach, /No such container: ten-a-web/)
      const start = await hijack(`/exec/${execId}/start`, '{"Detach":false,"Tty":false}')
      assert.equal(statusOf(start), 404, start)
      assert.match(start, new RegExp(`No such exec instance: ${execId}`))
      const exec = await cli('bob', ['exec', `${PREFIX}a-web`, 'true'])
      assert.match(exec.err, /No such container: ten-a-web/)
      const attached = await cli('bob', ['attach', '--no-stdin', `${PREFIX}a-web`])
      assert.match(attached.err, /No such container: ten-a-web/)
      // The owner's own exec runs.
      assert.equal((await cliOk('alice', ['exec', `${PREFIX}a-web`, 'echo', 'mine'])).trim(), 'mine')
    })

    test("another tenant's volume and network are missing ones", async () => {
      const volume = await api('bob', 'GET', `/volumes/${PREFIX}a-vol`)
      assert.deepEqual([volume.status, volume.json.message], [404, `get ${PREFIX}a-vol: no such volume`])
      const removed = await api('bob', 'DELETE', `/volumes/${PREFIX}a-vol`)
      assert.equal(removed.status, 404)
      const networkId = String((await api('alice', 'GET', `/networks/${PREFIX}a-net`)).json.Id)
      for (const ref of [`${PREFIX}a-net`, networkId, networkId.slice(0, 12)]) {
        const network = await api('bob', 'GET', `/networks/${ref}`)
        assert.deepEqual([network.status, network.json.message], [404, `network ${ref} not found`], ref)
        const rm = await api('bob', 'DELETE', `/networks/${ref}`)
        assert.equal(rm.status, 404)
      }
      // bob's own container may not join alice's network, nor alice's container bob's.
      await cliOk('bob', ['create', '--name', `${PREFIX}b-joiner`, ...NET, IMAGE, 'true'])
      const connect = await cli('bob', ['network', 'connect', `${PREFIX}a-net`, `${PREFIX}b-joiner`])
      assert.notEqual(connect.code, 0)
      assert.match(connect.err, /network ten-a-net not found|No such container/)
      assert.equal((await api('root', 'GET', `/volumes/${PREFIX}a-vol`)).status, 200)
      assert.equal((await api('root', 'GET', `/networks/${PREFIX}a-net`)).status, 200)
    })

    test("a create may not name another tenant's container, network or volume", async () => {
      // As dockerd answers a create that names a missing container (the docker CLI reads any 404 on
      // create as a missing image, so the API is asked directly).
      const hostConfigs: Json[] = [
        { VolumesFrom: [`${PREFIX}a-web`] },
        { VolumesFrom: [`${PREFIX}a-web@${hostName(0)}:ro`] },
        { Links: [`${PREFIX}a-web:db`] },
        { NetworkMode: `container:${PREFIX}a-web` },
        { IpcMode: `container:${web.slice(0, 12)}` },
        { PidMode: `container:${web}` },
      ]
      for (const HostConfig of hostConfigs) {
        const result = await api('bob', 'POST', '/containers/create', { Image: IMAGE, HostConfig })
        assert.equal(result.status, 404, JSON.stringify(HostConfig))
        assert.match(String(result.json.message), /^No such container: /, JSON.stringify(HostConfig))
      }
      const built = await api('bob', 'POST', `/build?networkmode=container:${PREFIX}a-web`)
      assert.deepEqual([built.status, built.json.message], [404, `No such container: ${PREFIX}a-web`])
      const cgroup = await api('bob', 'POST', '/containers/create', {
        Image: IMAGE,
        HostConfig: { Cgroup: `container:${PREFIX}a-web` },
      })
      assert.equal(cgroup.status, 404, cgroup.text)
      for (
        const body of [
          { Image: IMAGE, HostConfig: { NetworkMode: `${PREFIX}a-net` } },
          { Image: IMAGE, NetworkingConfig: { EndpointsConfig: { [`${PREFIX}a-net`]: {} } } },
        ]
      ) {
        const result = await api('bob', 'POST', '/containers/create', body)
        assert.deepEqual([result.status, result.json.message], [404, `network ${PREFIX}a-net not found`])
      }
      // A volume of that name on bob's host is made for bob, or refused when alice holds it there;
      // never alice's.
      const named = await cli('bob', [
        'create',
        '--name',
        `${PREFIX}b-vol-user`,
        ...NET,
        '-e',
        `constraint:node==${hostName(0)}`,
        '-v',
        `${PREFIX}a-vol:/data`,
        IMAGE,
        'true',
      ])
      assert.notEqual(named.code, 0)
      assert.match(named.err, /volume name "ten-a-vol" is already in use/)
      assert.doesNotMatch(named.err, /alice|\ba\b.*tenant/)
      const fresh = await cliOk('bob', [
        'create',
        '--name',
        `${PREFIX}b-vol-owner`,
        ...NET,
        '-v',
        `${PREFIX}b-vol:/data`,
        IMAGE,
        'true',
      ])
      assert.ok(fresh.trim())
      const bobVolumes = await api('bob', 'GET', '/volumes')
      assert.deepEqual(
        (bobVolumes.json.Volumes as Json[]).map((v) => v.Name),
        [`${PREFIX}b-vol`],
      )
    })

    test("links on a user network and API 1.23 start bodies may not name another tenant's container", async () => {
      const missing = `No such container: ${PREFIX}a-web`
      const endpoint = await api('bob', 'POST', '/containers/create', {
        Image: IMAGE,
        NetworkingConfig: { EndpointsConfig: { bridge: { Links: [`${PREFIX}a-web:db`] } } },
      })
      assert.deepEqual([endpoint.status, endpoint.json.message], [404, missing])
      const own = await api('bob', 'POST', `/containers/create?name=${PREFIX}b-linker`, {
        Image: IMAGE,
        Cmd: ['true'],
        HostConfig: { NetworkMode: 'none' },
      })
      assert.equal(own.status, 201, own.text)
      // API 1.23's start body is a HostConfig that dockerd still applies.
      const start = await fetch(`http://127.0.0.1:${flocker.port}/v1.23/containers/${PREFIX}b-linker/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.bob}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Links: [`${PREFIX}a-web:db`] }),
      })
      assert.deepEqual([start.status, ((await start.json()) as Json).message], [404, missing])
      const network = await api('bob', 'POST', '/networks/create', {
        Name: `${PREFIX}b-linknet`,
        Internal: true,
      })
      assert.equal(network.status, 201, network.text)
      const connect = await api('bob', 'POST', `/networks/${PREFIX}b-linknet/connect`, {
        Container: `${PREFIX}b-linker`,
        EndpointConfig: { Links: [`${PREFIX}a-web:db`] },
      })
      assert.deepEqual([connect.status, connect.json.message], [404, missing])
      assert.equal((await api('bob', 'DELETE', `/networks/${PREFIX}b-linknet`)).status, 204)
    })

    test('a name another tenant holds is taken, and the answer names nothing of the holder', async () => {
      const result = await cli('bob', ['create', '--name', `${PREFIX}a-web`, ...NET, IMAGE, 'true'])
      assert.notEqual(result.code, 0)
      assert.match(result.err, /Conflict\. The container name "\/ten-a-web" is already in use/)
      assert.ok(!result.err.includes(web.slice(0, 12)), result.err)
      assert.ok(!engines().engines.some((e) => result.err.includes(e.name)), result.err)
      const network = await cli('bob', ['network', 'create', '--internal', `${PREFIX}a-net`])
      assert.notEqual(network.code, 0)
      assert.match(network.err, /network with name ten-a-net already exists/)
      const volume = await api('bob', 'POST', '/volumes/create', { Name: `${PREFIX}a-vol` })
      // Volumes are per host: on the host that holds alice's, the name is taken.
      if (volume.status !== 201) assert.equal(volume.status, 409, volume.text)
      else assert.equal((volume.json.Labels as Json)['flocker.tenant'], 'b')
    })

    test("lists, info and df show only the tenant's own; a label filter only narrows", async () => {
      const names = (await cliOk('bob', ['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean)
      assert.ok(names.length > 0)
      assert.ok(names.every((name) => name.includes(`${PREFIX}b-`)), names.join(','))
      const widened = await cliOk('bob', ['ps', '-aq', '--filter', 'label=flocker.tenant=a'])
      assert.equal(widened.trim(), '')
      const aliceNames = (await cliOk('alice', ['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(
        Boolean,
      )
      assert.deepEqual(aliceNames.sort(), [`${PREFIX}a-stopped`, `${PREFIX}a-web`])
      const networks = await cliOk('bob', ['network', 'ls', '--format', '{{.Name}}'])
      assert.doesNotMatch(networks, /ten-a-net/)
      assert.match(await cliOk('alice', ['network', 'ls', '--format', '{{.Name}}']), /ten-a-net/)
      const volumes = await cliOk('bob', ['volume', 'ls', '--format', '{{.Name}}'])
      assert.doesNotMatch(volumes, /ten-a-vol/)
      const info = await api('alice', 'GET', '/info')
      assert.deepEqual(
        [info.json.Containers, info.json.ContainersRunning, info.json.ContainersStopped],
        [2, 1, 1],
      )
      const df = await api('bob', 'GET', '/system/df')
      const dfNames = (df.json.Containers as Json[]).flatMap((c) => c.Names as string[])
      assert.ok(dfNames.every((name) => name.includes(`${PREFIX}b-`)), dfNames.join(','))
      assert.ok(!(df.json.Volumes as Json[]).some((v) => v.Name === `${PREFIX}a-vol`))
    })

    test("events show only the tenant's own objects", async () => {
      const since = Math.floor(Date.now() / 1000) - 600
      await cliOk('bob', ['create', '--name', `${PREFIX}b-evented`, ...NET, IMAGE, 'true'])
      await cliOk('bob', ['network', 'create', '--internal', `${PREFIX}b-evnet`])
      await cliOk('bob', ['volume', 'create', `${PREFIX}b-evvol`])
      const until = Math.floor(Date.now() / 1000) + 1
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      const events = (await api('bob', 'GET', `/events?since=${since}&until=${until}`)).text
        .split('\n').filter(Boolean).map((line) =>
          JSON.parse(line) as { Actor: { ID: string; Attributes: Json } }
        )
      assert.ok(events.some((e) => e.Actor.Attributes.name === `${PREFIX}b-evented`))
      assert.ok(!events.some((e) => e.Actor.ID === web || e.Actor.Attributes.name === `${PREFIX}a-web`))
      // Networks and volumes carry no labels in their events: bob's are shown, alice's are not.
      const objects = events.filter((e) => ['network', 'volume'].includes(String((e as Json).Type)))
      assert.ok(objects.some((e) => e.Actor.Attributes.name === `${PREFIX}b-evnet`), 'own network event')
      assert.ok(objects.some((e) => e.Actor.ID === `${PREFIX}b-evvol`), 'own volume event')
      assert.ok(
        !objects.some((e) => /ten-a-/.test(`${e.Actor.ID} ${e.Actor.Attributes.name}`)),
        'alice object',
      )
      assert.ok(
        events.filter((e) => !objects.includes(e)).every((e) => e.Actor.Attributes['flocker.tenant'] === 'b'),
      )
      const aliceEvents = await api('alice', 'GET', `/events?since=${since}&until=${until}`)
      assert.match(aliceEvents.text, /exec_create/)
    })

    test('an admin sees every tenant', async () => {
      const names = await cliOk('root', ['ps', '-a', '--format', '{{.Names}}'])
      assert.match(names, /ten-a-web/)
      assert.match(names, /ten-b-/)
    })

    test("prunes touch only the tenant's own", async () => {
      await cliOk('bob', ['create', '--name', `${PREFIX}b-prunable`, ...NET, IMAGE, 'true'])
      await cliOk('bob', ['volume', 'create', `${PREFIX}b-spare`])
      await cliOk('bob', ['container', 'prune', '-f'])
      await cliOk('bob', ['volume', 'prune', '-f'])
      await cliOk('bob', ['network', 'prune', '-f'])
      const images = await api('bob', 'POST', '/images/prune')
      assert.equal(images.status, 200)
      assert.equal((await cli('bob', ['inspect', `${PREFIX}b-prunable`])).code, 1)
      assert.equal((await api('root', 'GET', `/containers/${PREFIX}a-stopped/json`)).status, 200)
      assert.equal((await api('root', 'GET', `/volumes/${PREFIX}a-vol`)).status, 200)
      assert.equal((await api('root', 'GET', `/networks/${PREFIX}a-net`)).status, 200)
      assert.equal((await api('root', 'GET', `/images/${IMAGE}/json`)).status, 200)
    })
  })
}
