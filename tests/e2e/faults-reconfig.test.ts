import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { type Background, background } from '../support/background.ts'
import { containerNames, docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { eventually } from '../support/eventually.ts'

// The flock changes under live traffic: the config file drops a host that has live streams, then
// brings it back while clients keep asking. A dropped host is drained, not cut: the streams already
// open to it (exec -i, logs -f) go on until their clients end them, while nothing new reaches it
// (lists, lookups, placement) and the merged events go on with the other hosts. Added back, it
// serves again without one failed request among the clients that kept asking meanwhile.

const flock = enginesForFile(3, {}, { registry: false })
const PREFIX = 'rc-'

for (const runtime of runtimes()) {
  describe(`the config file drops and adds hosts under live traffic, flocker on ${runtime}`, {
    skip: !enginesAvailable(),
  }, () => {
    const name = (what: string) => `${PREFIX}${runtime}-${what}`
    const file = `/tmp/flocker-reconfig-${runtime}-${process.pid}.yaml`
    const write = (nodes: number[]) =>
      writeFileSync(
        file,
        ['nodes:', ...nodes.map((i) => `  - ${flock().engines[i - 1]!.flag}`), 'health: { interval: 500 }']
          .join('\n') + '\n',
      )
    let flocker: RunningFlocker
    let events: Background
    let exec: Background
    let logs: Background
    const hostNames = async () =>
      JSON.parse(await dockerOk(flocker.dockerHost, ['info', '--format', '{{json .SystemStatus}}']))
        .map((row: [string, string]) => row[0])
        .filter((cell: string) => /^ ?node\d$/.test(cell))
        .map((cell: string) => cell.trim())
        .sort()
    const psNames = () => containerNames(flocker.dockerHost, `${PREFIX}${runtime}`)

    before(async () => {
      write([1, 2, 3])
      flocker = await startFlocker(runtime, ['--config', file])
      const host = flocker.dockerHost
      const on = (i: number) => ['-e', `constraint:node==node${i}`]
      await Promise.all([
        dockerOk(host, ['run', '-d', '-i', ...NET, ...on(3), '--name', name('exec'), IMAGE, 'cat']),
        dockerOk(host, ['run', '-d', ...NET, ...on(1), '--name', name('keep'), IMAGE, 'sleep', '100000']),
        dockerOk(host, [
          'run',
          '-d',
          ...NET,
          ...on(3),
          '--name',
          name('logs'),
          IMAGE,
          'sh',
          '-c',
          'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done',
        ]),
      ])
      events = background(host, [
        'events',
        '--filter',
        'type=container',
        '--format',
        '{{.Actor.Attributes.name}} {{.Action}}',
      ])
      exec = background(host, ['exec', '-i', name('exec'), 'cat'])
      logs = background(host, ['logs', '-f', name('logs')])
      exec.child.stdin!.write('before\n')
      await Promise.all([exec.prints('before'), logs.prints('tick2')])
    })
    after(async () => {
      for (const stream of [events, exec, logs]) stream?.kill()
      await flocker?.stop()
      await Promise.all(flock().engines.map((engine) => removeContainers(engine.url, PREFIX)))
    })

    test('a dropped host is drained: its live streams go on, nothing new reaches it, events go on', async () => {
      write([1, 2])
      await eventually(async () => assert.deepEqual(await hostNames(), ['node1', 'node2']))
      // The hijacked exec session and logs -f opened before go on until their clients end them.
      exec.child.stdin!.write('after the drop\n')
      await exec.prints('after the drop')
      const ticks = [...logs.out().matchAll(/tick(\d+)/g)].map((m) => Number(m[1]))
      await logs.prints(`tick${Math.max(...ticks) + 3}`)
      // Nothing new reaches it: not in lists, not found by name, not a place for a new container.
      assert.deepEqual(await psNames(), [name('keep')])
      const lookup = await docker(flocker.dockerHost, ['inspect', name('exec')])
      assert.notEqual(lookup.code, 0)
      assert.match(lookup.err, /No such (object|container)/)
      const placed = await docker(flocker.dockerHost, [
        'create',
        ...NET,
        '-e',
        'constraint:node==node3',
        '--name',
        name('nowhere'),
        IMAGE,
      ])
      assert.notEqual(placed.code, 0)
      // The merged events go on with the hosts that stayed.
      await dockerOk(flocker.dockerHost, ['run', '-d', ...NET, '--name', name('late'), IMAGE, 'true'])
      await events.prints(`${name('late')} start`)
      // The client ends its session: a clean end, every byte through.
      exec.child.stdin!.end()
      assert.equal(await exec.ends(), 0, exec.out())
      assert.equal(exec.out(), 'before\nafter the drop\n')
      logs.kill()
      await logs.ends()
    })

    test('a host added under load serves at once; the clients that kept asking saw no failure', async () => {
      const failures: string[] = []
      let asked = 0
      let stop = false
      const worker = async (i: number) => {
        while (!stop) {
          const seen = i % 2
            ? await docker(flocker.dockerHost, ['ps', '-a', '--format', '{{.Names}}'])
            : await docker(flocker.dockerHost, ['inspect', '--format', '{{.Name}}', name('keep')])
          asked++
          if (seen.code !== 0) failures.push(seen.err)
        }
      }
      const workers = Array.from({ length: 6 }, (_, i) => worker(i))
      try {
        write([1, 2, 3])
        await eventually(async () => assert.deepEqual(await hostNames(), ['node1', 'node2', 'node3']))
        await eventually(async () => assert.ok((await psNames()).includes(name('exec'))))
        await dockerOk(flocker.dockerHost, [
          'run',
          '-d',
          ...NET,
          '-e',
          'constraint:node==node3',
          '--name',
          name('placed3'),
          IMAGE,
          'true',
        ])
        assert.equal(
          (await dockerOk(flock().engines[2]!.url, ['inspect', '--format', '{{.Name}}', name('placed3')]))
            .trim(),
          `/${name('placed3')}`,
        )
        const exec = await dockerOk(flocker.dockerHost, ['exec', '-i', name('exec'), 'cat'], {
          input: 'back\n',
        })
        assert.equal(exec, 'back\n')
      } finally {
        stop = true
        await Promise.all(workers)
      }
      assert.ok(asked > 0)
      assert.deepEqual(failures, [])
    })
  })
}
