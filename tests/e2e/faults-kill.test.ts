import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { type Background, background } from '../support/background.ts'
import { dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { waitForHostStatus } from '../support/raw-http.ts'
import { startSlowProxy } from '../support/slow-proxy.ts'
import { tarHeader, tarOf } from '../support/tar.ts'

// A host killed (SIGKILL, dockerd and its containerd) in the middle of every kind of long stream at
// once: attach, exec -i, logs -f, build, cp in both directions, a pull to the whole flock, and the
// merged events. Each client's stream ends (with an error, or a clean end where the engine would
// give one) instead of hanging; the pull and the events go on for the other hosts. Then the host
// comes back: its containers answer, its events join the stream again, its health is back.

const flock = enginesForFile(3)
const PREFIX = 'kl-'
const FLAGS = ['--health-interval=1000', '--host-timeout=2000']

for (const runtime of runtimes()) {
  describe(`a host killed mid-stream, flocker on ${runtime}`, { skip: !enginesAvailable() }, () => {
    let flocker: RunningFlocker
    let slow: Awaited<ReturnType<typeof startSlowProxy>>
    const name = (what: string) => `${PREFIX}${runtime}-${what}`
    const streams: Record<string, Background> = {}
    let events: Background

    before(async () => {
      flocker = await startFlocker(runtime, [...flock().engines.map((e) => `--node=${e.flag}`), ...FLAGS])
      const host = flocker.dockerHost
      const on2 = ['-e', 'constraint:node==node2']
      await Promise.all([
        dockerOk(host, ['run', '-d', '-i', ...NET, ...on2, '--name', name('attach'), IMAGE, 'cat']),
        dockerOk(host, ['run', '-d', '-i', ...NET, ...on2, '--name', name('exec'), IMAGE, 'cat']),
        dockerOk(host, ['run', '-d', '-i', ...NET, ...on2, '--name', name('cp'), IMAGE, 'cat']),
        dockerOk(host, [
          'run',
          '-d',
          ...NET,
          ...on2,
          '--name',
          name('logs'),
          IMAGE,
          'sh',
          '-c',
          'while true; do echo tick; sleep 0.2; done',
        ]),
      ])
      await dockerOk(host, ['exec', name('cp'), 'dd', 'if=/dev/zero', 'of=/big', 'bs=1M', 'count=64'])
      // An image of its own in the flock's registry, pulled through a slow proxy so the pull lasts.
      const registry = flock().registry
      const node1 = flock().engines[0]!.url
      const image = `${registry}/${PREFIX}${runtime}:1`
      await dockerOk(node1, ['import', '-', image], { input: tarOf('blob', randomBytes(3 << 20)) })
      await dockerOk(node1, ['push', image])
      const [regHost, regPort] = registry.split(':') as [string, string]
      slow = await startSlowProxy({ host: regHost, port: Number(regPort) }, 300 << 10)

      events = background(host, ['events', '--filter', 'type=container', '--format', '{{json .}}'])
      streams.attach = background(host, ['attach', name('attach')])
      streams.exec = background(host, ['exec', '-i', name('exec'), 'cat'])
      streams.logs = background(host, ['logs', '-f', name('logs')])
      streams.build = background(host, ['build', '--build-arg', 'constraint:node==node2', '-'])
      streams.build.child.stdin!.end('FROM busybox:local\nRUN echo building && sleep 120\n')
      streams.cpTo = background(host, ['cp', '-', `${name('cp')}:/tmp`])
      streams.cpTo.child.stdin!.write(Buffer.concat([tarHeader('incoming', 64 << 20), Buffer.alloc(1 << 20)]))
      streams.cpFrom = background(host, ['cp', `${name('cp')}:/big`, '-'], { readStdout: false })
      streams.pull = background(host, ['pull', `127.0.0.1:${slow.port}/${PREFIX}${runtime}:1`])
      streams.attach.child.stdin!.write('hello attach\n')
      streams.exec.child.stdin!.write('hello exec\n')
      await Promise.all([
        streams.attach.prints('hello attach'),
        streams.exec.prints('hello exec'),
        streams.logs.prints('tick'),
        streams.build.prints('building'),
        streams.pull.prints(/node3: .*(Downloading|Pulling fs layer|Waiting)/),
      ])
      await flock().kill(2)
    })
    after(async () => {
      for (const stream of [...Object.values(streams), events]) stream?.kill()
      await flock().start(2)
      await slow?.close()
      if (flocker) await removeContainers(flocker.dockerHost, PREFIX)
      await flocker?.stop()
    })

    for (const what of ['attach', 'exec', 'logs', 'build', 'cpTo', 'cpFrom']) {
      test(`${what}: the client's stream ends`, async () => {
        const stream = streams[what]!
        stream.child.stdout!.resume() // cp's download was held back by not reading it
        const code = await stream.ends()
        assert.ok(code !== null, `${what} was killed, not ended`)
        // cp's download may have been all in flight before the kill: a clean end is allowed there.
        if (['build', 'cpTo'].includes(what)) assert.notEqual(code, 0, stream.out())
      })
    }

    test('the pull goes on for the other hosts and reports the dead one at the end', async () => {
      const code = await streams.pull!.ends()
      assert.notEqual(code, 0)
      assert.match(streams.pull!.out(), /node2: /)
      for (const engine of [flock().engines[0]!, flock().engines[2]!]) {
        await dockerOk(engine.url, ['image', 'inspect', `127.0.0.1:${slow.port}/${PREFIX}${runtime}:1`])
      }
    })

    test('the merged events go on with the other hosts', async () => {
      await dockerOk(flocker.dockerHost, [
        'create',
        ...NET,
        '-e',
        'constraint:node==node1',
        '--name',
        name('after'),
        IMAGE,
        'true',
      ])
      await events.prints(name('after'))
    })

    test('restarted, the host is healthy again, its containers answer, its events are back', async () => {
      await flock().start(2)
      await waitForHostStatus(flocker.port, 'node2', 'Healthy')
      const where = await dockerOk(flocker.dockerHost, ['inspect', '-f', '{{.Node.Name}}', name('logs')])
      assert.equal(where.trim(), 'node2')
      await dockerOk(flocker.dockerHost, ['start', name('exec')])
      const out = await dockerOk(flocker.dockerHost, ['exec', '-i', name('exec'), 'cat'], { input: 'back' })
      assert.equal(out, 'back')
      await dockerOk(flocker.dockerHost, [
        'create',
        ...NET,
        '-e',
        'constraint:node==node2',
        '--name',
        name('back'),
        IMAGE,
        'true',
      ])
      await events.prints(new RegExp(`${name('back')}.*node2|node2.*${name('back')}`))
    })
  })
}
