import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { DOCKER, docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { eventually } from '../support/eventually.ts'

let engines: LocalEngines
const nodeFlags = () => engines.engines.map((e) => `--node=${e.flag}`)
/** The engine's own address, to make objects behind flocker's back. */
const direct = (i: number) => engines.engines[i]!.url

before(async () => {
  engines = await startEngines(3, { 1: ['zone=a'] })
})
after(async () => {
  await engines?.down()
})

for (const runtime of runtimes()) {
  describe(`flock views on ${runtime}`, () => {
    let flocker: RunningFlocker
    const name = (what: string) => `fv-${runtime}-${what}`
    const ids: string[] = []
    before(async () => {
      flocker = await startFlocker(runtime, [...nodeFlags(), '--health-interval', '500'])
      // One container on each engine, made directly so the test does not depend on placement.
      for (let i = 0; i < 3; i++) {
        const id = await dockerOk(direct(i), [
          'run',
          '-d',
          '--name',
          name(`c${i + 1}`),
          ...NET,
          IMAGE,
          'sleep',
          '600',
        ])
        ids.push(id.trim())
      }
    })
    after(async () => {
      for (let i = 0; i < 3; i++) {
        await docker(direct(i), ['rm', '-f', name(`c${i + 1}`), name('dup')])
      }
      await flocker?.stop()
    })

    test("network connect goes to the container's host, whose copy of the network it joins", async () => {
      const [first, second, member] = [name('net1'), name('net2'), name('member')]
      // Networks made through flocker exist on every host, with another ID on each.
      await dockerOk(flocker.dockerHost, ['network', 'create', '--internal', first])
      await dockerOk(flocker.dockerHost, ['network', 'create', '--internal', second])
      try {
        await dockerOk(direct(2), ['run', '-d', '--name', member, '--network', first, IMAGE, 'sleep', '600'])
        await dockerOk(flocker.dockerHost, ['network', 'connect', second, member])
        const joined = await dockerOk(direct(2), [
          'inspect',
          '-f',
          '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}',
          member,
        ])
        assert.match(joined, new RegExp(second))
        await dockerOk(flocker.dockerHost, ['network', 'disconnect', second, member])
      } finally {
        await docker(direct(2), ['rm', '-f', member])
        await docker(flocker.dockerHost, ['network', 'rm', first, second])
      }
    })

    test("docker ps shows every host's containers with the flocker.host label", async () => {
      const out = await dockerOk(flocker.dockerHost, [
        'ps',
        '--format',
        '{{.Names}} {{.Label "flocker.host"}}',
      ])
      for (let i = 1; i <= 3; i++) assert.match(out, new RegExp(`^${name(`c${i}`)} node${i}$`, 'm'))
    })

    test('--filter node= and --filter label=flocker.host= select by host', async () => {
      const byNode = await dockerOk(flocker.dockerHost, [
        'ps',
        '--filter',
        'node=node2',
        '--format',
        '{{.Names}}',
      ])
      assert.deepEqual(byNode.trim().split('\n').filter((n) => n.startsWith(`fv-${runtime}`)), [name('c2')])
      const byLabel = await dockerOk(flocker.dockerHost, [
        'ps',
        '--filter',
        'label=flocker.host=node3',
        '--format',
        '{{.Names}}',
      ])
      assert.deepEqual(byLabel.trim().split('\n').filter((n) => n.startsWith(`fv-${runtime}`)), [name('c3')])
    })

    test('a container resolves by every form of its name, and inspect shows its host', async () => {
      const id = ids[1]!
      const forms = [
        id,
        id.slice(0, 12),
        id.slice(0, 9),
        name('c2'),
        `${name('c2')}@node2`,
        `node2/${name('c2')}`,
      ]
      for (const form of forms) {
        const out = await dockerOk(flocker.dockerHost, [
          'container',
          'inspect',
          '--format',
          '{{.Name}} {{.Node.Name}} {{index .Config.Labels "flocker.host"}}',
          form,
        ])
        assert.equal(out.trim(), `/${name('c2')} node2 node2`, `form ${form}`)
      }
      const logs = await dockerOk(flocker.dockerHost, [
        'exec',
        `node2/${name('c2')}`,
        'echo',
        'via host/name',
      ])
      assert.equal(logs, 'via host/name\n')
    })

    test('a name on two hosts is refused with a message naming both', async () => {
      await dockerOk(direct(0), ['create', '--name', name('dup'), ...NET, IMAGE, 'true'])
      await dockerOk(direct(1), ['create', '--name', name('dup'), ...NET, IMAGE, 'true'])
      // Names made on the engines directly count once their events are in (the name index).
      await eventually(async () => {
        const result = await docker(flocker.dockerHost, ['container', 'inspect', name('dup')])
        assert.notEqual(result.code, 0)
        assert.match(
          result.err,
          new RegExp(`"${name('dup')}" is ambiguous: it matches on hosts node1, node2`),
        )
      })
      await dockerOk(flocker.dockerHost, ['rm', `${name('dup')}@node1`, `node2/${name('dup')}`])
    })

    test('images, volumes and system df span the flock', async () => {
      await dockerOk(direct(1), ['volume', 'create', name('vol')])
      try {
        // A volume's entry is the engine's own (equal to its create and inspect); --filter node= says where.
        const volumesOn = (node: string) =>
          dockerOk(flocker.dockerHost, ['volume', 'ls', '--filter', `node=${node}`, '--format', '{{.Name}}'])
        assert.match(await volumesOn('node2'), new RegExp(`^${name('vol')}$`, 'm'))
        assert.doesNotMatch(await volumesOn('node1'), new RegExp(`^${name('vol')}$`, 'm'))
        const inspect = await dockerOk(flocker.dockerHost, [
          'volume',
          'inspect',
          '--format',
          '{{.Name}}',
          name('vol'),
        ])
        assert.equal(inspect.trim(), name('vol'))
        const images = await dockerOk(flocker.dockerHost, [
          'image',
          'ls',
          '--format',
          '{{.Repository}}:{{.Tag}}',
        ])
        // the same image on three hosts is one row
        assert.equal(images.split('\n').filter((line) => line === IMAGE).length, 1)
        const df = await dockerOk(flocker.dockerHost, [
          'system',
          'df',
          '--format',
          '{{.Type}} {{.TotalCount}}',
        ])
        assert.ok(Number(df.match(/^Containers (\d+)$/m)?.[1]) >= 3, df)
      } finally {
        await docker(direct(1), ['volume', 'rm', name('vol')])
      }
    })

    test('docker info lists the flock and every host', async () => {
      const out = await dockerOk(flocker.dockerHost, ['info'])
      assert.match(out, /Nodes: 3/)
      for (let i = 1; i <= 3; i++) {
        assert.match(out, new RegExp(`node${i}: ${direct(i - 1).replace(/[./]/g, '\\$&')}`))
      }
      assert.equal(out.match(/Status: Healthy/g)?.length, 3)
      assert.match(out, /Labels: zone=a/)
      const version = await dockerOk(flocker.dockerHost, ['version', '--format', '{{.Server.APIVersion}}'])
      assert.equal(version.trim(), '1.41')
    })

    test('docker events merges every host, tagged, live and bounded', async () => {
      const since = Math.floor(Date.now() / 1000) - 1
      const events = spawn(DOCKER, [
        'events',
        '--filter',
        'event=start',
        '--format',
        '{{.Actor.Attributes.name}} {{index .Actor.Attributes "flocker.host"}}',
      ], { env: { ...process.env, DOCKER_HOST: flocker.dockerHost } })
      let seen = ''
      events.stdout.on('data', (chunk) => (seen += chunk))
      try {
        // the stream is live once flocker follows every engine; wait for a first event to show it
        await eventually(async () => {
          await dockerOk(direct(0), ['restart', '-t', '0', name('c1')])
          assert.match(seen, new RegExp(`${name('c1')} node1`))
        })
        for (let i = 1; i < 3; i++) await dockerOk(direct(i), ['restart', '-t', '0', name(`c${i + 1}`)])
        await eventually(() => {
          for (let i = 2; i <= 3; i++) assert.match(seen, new RegExp(`${name(`c${i}`)} node${i}`))
          return Promise.resolve()
        })
      } finally {
        events.kill()
      }
      const bounded = await dockerOk(flocker.dockerHost, [
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.floor(Date.now() / 1000) + 1),
        '--filter',
        'node=node3',
        '--format',
        '{{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "flocker.host"}}',
      ], { timeout: 60_000 })
      assert.match(bounded, new RegExp(`start ${name('c3')} node3`))
      assert.doesNotMatch(bounded, /node[12]$/m)
    })

    test('the config file is reloaded: hosts join and leave while flocker runs', async () => {
      const file = `/tmp/flocker-config-${runtime}-${process.pid}.json`
      const write = (nodes: number[]) =>
        writeFileSync(
          file,
          JSON.stringify({ nodes: nodes.map((i) => ({ name: `node${i}`, url: direct(i - 1) })) }),
        )
      write([1, 2])
      const configured = await startFlocker(runtime, ['--config', file])
      const nodes = async () => (await dockerOk(configured.dockerHost, ['info'])).match(/Nodes: (\d+)/)?.[1]
      try {
        assert.equal(await nodes(), '2')
        write([1, 2, 3])
        await eventually(async () => assert.equal(await nodes(), '3'))
        const ps = await dockerOk(configured.dockerHost, ['ps', '--format', '{{.Names}}'])
        assert.match(ps, new RegExp(name('c3')))
        write([2, 3])
        await eventually(async () => assert.equal(await nodes(), '2'))
        assert.doesNotMatch(await dockerOk(configured.dockerHost, ['info']), /node1:/)
      } finally {
        await configured.stop()
      }
    })
  })
}

/**
 * Engine stop/start takes seconds each and the health, timeout and reconnect logic under test is
 * the same code on every runtime (only the adapter's request differs, and every view above covers
 * it), so the fault scenarios run on the first runtime only.
 */
describe(`a host that goes down and comes back (on ${runtimes()[0]})`, () => {
  let flocker: RunningFlocker
  /** The names `docker ps -a` shows for this scenario's containers, sorted. */
  const flockNames = async () =>
    (await dockerOk(flocker.dockerHost, ['ps', '-a', '--filter', 'name=ft-', '--format', '{{.Names}}']))
      .trim().split('\n').sort()
  before(async () => {
    flocker = await startFlocker(runtimes()[0]!, [
      ...nodeFlags(),
      '--health-interval',
      '500',
      '--names',
      'at',
    ])
    // exited containers only: stopping an engine waits for running ones
    for (let i = 0; i < 3; i++) {
      await dockerOk(direct(i), ['create', '--name', `ft-c${i + 1}`, ...NET, IMAGE, 'true'])
    }
  })
  after(async () => {
    await flocker?.stop()
    for (let i = 0; i < 3; i++) await docker(direct(i), ['rm', '-f', `ft-c${i + 1}`, 'ft-late'])
  })

  test('names show as name@host in every view, and every form still resolves', async () => {
    assert.deepEqual(await flockNames(), ['ft-c1@node1', 'ft-c2@node2', 'ft-c3@node3'])
    for (const form of ['ft-c2', 'ft-c2@node2', 'node2/ft-c2']) {
      const out = await dockerOk(flocker.dockerHost, ['container', 'inspect', '--format', '{{.Name}}', form])
      assert.equal(out.trim(), '/ft-c2@node2')
    }
  })

  test('docker ps answers without a stopped engine, names it, and shows it again after', async () => {
    const events = spawn(DOCKER, [
      'events',
      '--filter',
      'event=create',
      '--format',
      '{{.Actor.Attributes.name}}',
    ], {
      env: { ...process.env, DOCKER_HOST: flocker.dockerHost },
    })
    let seen = ''
    events.stdout.on('data', (chunk) => (seen += chunk))
    try {
      await engines.stop(3)
      await eventually(async () => {
        const info = await docker(flocker.dockerHost, ['info'])
        assert.match(info.out, /node3: [^\n]*\n\s*└ Status: Unhealthy/)
        assert.match(info.err + info.out, /WARNING: flocker: host node3 .* is unhealthy/)
      })
      assert.deepEqual(await flockNames(), ['ft-c1@node1', 'ft-c2@node2'])
      const response = await fetch(`http://127.0.0.1:${flocker.port}/containers/json`)
      assert.match(response.headers.get('x-flocker-missing-hosts') ?? '', /node3 \(unhealthy/)
      await response.body?.cancel()

      await engines.start(3)
      await eventually(async () => {
        const info = await dockerOk(flocker.dockerHost, ['info'])
        assert.equal(info.match(/Status: Healthy/g)?.length, 3)
      })
      assert.deepEqual(await flockNames(), ['ft-c1@node1', 'ft-c2@node2', 'ft-c3@node3'])
      // the events stream opened before the engine went down follows it again
      await eventually(async () => {
        await docker(direct(2), ['rm', '-f', 'ft-late'])
        await dockerOk(direct(2), ['create', '--name', 'ft-late', ...NET, IMAGE, 'true'])
        assert.match(seen, /ft-late/)
      })
    } finally {
      events.kill()
    }
  })
})
