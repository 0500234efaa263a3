import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PassThrough, type Readable } from 'node:stream'
import Docker from 'dockerode'
import { dockerOk, IMAGE } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'

/** dockerode (the Node client most tools build on) through flocker, on each runtime. */

const HOST_CONFIG = { NetworkMode: 'none' }

let engines: LocalEngines
let pushed: string
before(async () => {
  engines = await startEngines(1)
  // An image in this flock's registry that the engines do not have yet, for the pull test.
  const engine = engines.engines[0]!.url
  pushed = `${engines.registry}/flocker-clients/busybox:dockerode`
  await dockerOk(engine, ['tag', IMAGE, pushed])
  await dockerOk(engine, ['push', pushed], { timeout: 120_000 })
  await dockerOk(engine, ['rmi', pushed])
})
after(async () => {
  await engines?.down()
})

/** Collects a multiplexed (stdout/stderr framed) stream until it ends. */
function demuxed(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ out: string; err: string }> {
  const out = new PassThrough()
  const err = new PassThrough()
  const outChunks: Buffer[] = []
  const errChunks: Buffer[] = []
  out.on('data', (chunk: Buffer) => outChunks.push(chunk))
  err.on('data', (chunk: Buffer) => errChunks.push(chunk))
  docker.modem.demuxStream(stream, out, err)
  return new Promise((resolve, reject) => {
    stream.on('error', reject)
    stream.on(
      'end',
      () => resolve({ out: Buffer.concat(outChunks).toString(), err: Buffer.concat(errChunks).toString() }),
    )
  })
}

/** Reads an events stream until one event satisfies `match`. */
function firstEvent(stream: Readable, match: (event: Record<string, unknown>) => boolean) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = ''
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line) as Record<string, unknown>
        if (match(event)) resolve(event)
      }
    })
    stream.on('error', reject)
    stream.on('end', () => reject(new Error('events stream ended before the event')))
  })
}

for (const runtime of runtimes()) {
  describe(`dockerode through flocker on ${runtime}`, () => {
    let flocker: RunningFlocker
    let docker: Docker
    const created: Docker.Container[] = []
    const create = async (options: Docker.ContainerCreateOptions) => {
      const container = await docker.createContainer({ Image: IMAGE, HostConfig: HOST_CONFIG, ...options })
      created.push(container)
      return container
    }
    before(async () => {
      flocker = await startFlocker(runtime, engines.engines.map((e) => `--node=${e.flag}`))
      docker = new Docker({ host: '127.0.0.1', port: flocker.port })
    })
    after(async () => {
      for (const container of created) await container.remove({ force: true }).catch(() => {})
      await docker?.getImage(pushed).remove().catch(() => {})
      await flocker?.stop()
    })

    test('listContainers and getContainer(id).inspect', async () => {
      const container = await create({ Cmd: ['true'], Labels: { 'flocker.test': 'list' } })
      const list = await docker.listContainers({ all: true, filters: { label: ['flocker.test=list'] } })
      assert.deepEqual(list.map((c) => c.Id), [container.id])
      const info = await docker.getContainer(container.id).inspect()
      assert.equal(info.Id, container.id)
      assert.equal(info.Config.Image, IMAGE)
    })

    test('create, start, wait and logs', async () => {
      const container = await create({ Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] })
      await container.start()
      const result = await container.wait()
      assert.equal(result.StatusCode, 3)
      const logs = await container.logs({ stdout: true, stderr: true, follow: true })
      assert.deepEqual(await demuxed(docker, logs), { out: 'out\n', err: 'err\n' })
    })

    test('attach with hijack: stdin round trip and half-close', async () => {
      const container = await create({ Cmd: ['cat'], OpenStdin: true, StdinOnce: true })
      const stream = await container.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      })
      const output = demuxed(docker, stream)
      await container.start()
      stream.write('round trip\n')
      stream.end()
      assert.deepEqual(await output, { out: 'round trip\n', err: '' })
      assert.equal((await container.wait()).StatusCode, 0)
    })

    test('exec with hijack: stdin round trip and exit code', async () => {
      const container = await create({ Cmd: ['sleep', '300'] })
      await container.start()
      const exec = await container.exec({
        Cmd: ['sh', '-c', 'cat; echo done >&2; exit 5'],
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
      })
      const stream = await exec.start({ hijack: true, stdin: true })
      const output = demuxed(docker, stream)
      stream.write('exec trip\n')
      stream.end()
      assert.deepEqual(await output, { out: 'exec trip\n', err: 'done\n' })
      assert.equal((await exec.inspect()).ExitCode, 5)
    })

    test('pull from the local registry', async () => {
      const stream = await docker.pull(pushed)
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve()))
      )
      const image = await docker.getImage(pushed).inspect()
      assert.ok(image.RepoTags.includes(pushed))
    })

    test('events stream shows a container being created', async () => {
      const label = `flocker.events=${runtime}-${Date.now()}`
      const stream = await docker.getEvents({ filters: { type: ['container'], label: [label] } }) as Readable
      try {
        const seen = firstEvent(stream, (event) => event.Action === 'create')
        const [key, value] = label.split('=') as [string, string]
        const container = await create({ Cmd: ['true'], Labels: { [key]: value } })
        const event = await seen
        assert.equal(event.id, container.id)
      } finally {
        stream.destroy()
      }
    })
  })
}
