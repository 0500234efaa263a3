import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { type Background, background } from '../support/background.ts'
import { dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { runtimes, startFlocker } from '../support/flocker.ts'
import { ask, HANG } from '../support/raw-http.ts'

// SIGTERM: flocker stops accepting, lets a plain request finish (a `docker stop` that takes longer
// than the grace period), gives attach and logs -f the grace period, then closes them and exits 0.
// A second signal exits at once.

const flock = enginesForFile(1, {}, { registry: false })
const PREFIX = 'sd-'

const exited = (child: Background['child'] | import('node:child_process').ChildProcess) =>
  new Promise<number | null>((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    const timer = setTimeout(() => reject(new Error(`did not exit within ${HANG} ms`)), HANG)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })

for (const runtime of runtimes()) {
  describe(`shutdown on ${runtime}`, { skip: !enginesAvailable() }, () => {
    const engine = () => flock().engines[0]!
    const name = (what: string) => `${PREFIX}${runtime}-${what}`
    before(async () => {
      await dockerOk(engine().url, ['run', '-d', '-i', ...NET, '--name', name('cat'), IMAGE, 'cat'])
      // sleep as PID 1 ignores SIGTERM: `docker stop -t 4` takes 4 s, longer than the grace period.
      await dockerOk(engine().url, ['run', '-d', ...NET, '--name', name('slow'), IMAGE, 'sleep', '1000'])
    })
    after(async () => {
      await dockerOk(engine().url, ['rm', '-f', name('cat'), name('slow')]).catch(() => {})
    })

    test('SIGTERM: no new connections, plain requests finish, streams get the grace period, exit 0', async () => {
      const flocker = await startFlocker(runtime, [`--node=${engine().flag}`, '--shutdown-grace=2000'])
      const attach = background(flocker.dockerHost, ['attach', name('cat')])
      const logs = background(flocker.dockerHost, ['logs', '-f', name('cat')])
      attach.child.stdin!.write('before\n')
      await attach.prints('before')
      // A plain request that takes longer than the grace period, surely in flocker before the signal.
      const stop = ask(flocker.port, 'POST', `/v1.41/containers/${name('slow')}/stop?t=4`)
      await new Promise((resolve) => setTimeout(resolve, 500))
      flocker.process.kill('SIGTERM')
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.ok(await refused(flocker.port), 'still accepting connections after SIGTERM')
      attach.child.stdin!.write('during grace\n')
      await attach.prints('during grace')
      const stopped = await stop
      assert.equal(stopped.status, 204, stopped.body)
      assert.ok((await attach.ends()) !== null)
      assert.ok((await logs.ends()) !== null)
      assert.equal(await exited(flocker.process), 0, flocker.output())
    })

    test('a second signal exits at once, whatever the grace period', async () => {
      const flocker = await startFlocker(runtime, [`--node=${engine().flag}`, '--shutdown-grace=600000'])
      const attach = background(flocker.dockerHost, ['attach', name('cat')])
      attach.child.stdin!.write('hi\n')
      await attach.prints('hi')
      flocker.process.kill('SIGTERM')
      await new Promise((resolve) => setTimeout(resolve, 300))
      flocker.process.kill('SIGINT')
      assert.notEqual(await exited(flocker.process), null)
      assert.ok((await attach.ends()) !== null)
    })
  })
}
