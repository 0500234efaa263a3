import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { eventually } from '../support/eventually.ts'
import { ask, HANG, messageOf, upgrade, waitForHostStatus } from '../support/raw-http.ts'

// A host frozen with SIGSTOP keeps its sockets open and answers nothing. Merged views answer without
// it (naming it), requests routed to it fail with a message naming it instead of hanging, new
// containers go elsewhere, and everything it holds comes back when it gets SIGCONT. flocker runs
// with short health checks here so the test is quick; the bounds with the defaults are in README.

const flock = enginesForFile(3)
const PREFIX = 'fz-'
// The lists are asked live here (what a frozen host does to a merged view); the list cache's own
// answer with a frozen host is the last describe.
const FLAGS = ['--health-interval=1000', '--host-timeout=2000', '--list-cache=off']

for (const runtime of runtimes()) {
  describe(`a frozen host (SIGSTOP), flocker on ${runtime}`, { skip: !enginesAvailable() }, () => {
    let flocker: RunningFlocker
    const ids: Record<string, string> = {}
    let execId = ''
    before(async () => {
      flocker = await startFlocker(runtime, [...flock().engines.map((e) => `--node=${e.flag}`), ...FLAGS])
      for (const i of [1, 2, 3]) {
        const name = `${PREFIX}${runtime}-c${i}`
        ids[name] = (await dockerOk(flocker.dockerHost, [
          'run',
          '-d',
          '-i',
          ...NET,
          '--name',
          name,
          '-e',
          `constraint:node==node${i}`,
          IMAGE,
          'cat',
        ])).trim()
      }
      const exec = await ask(
        flocker.port,
        'POST',
        `/v1.41/containers/${PREFIX}${runtime}-c2/exec`,
        JSON.stringify({ Cmd: ['echo', 'exec-ok'], AttachStdout: true }),
      )
      execId = JSON.parse(exec.body).Id
      flock().freeze(2)
    })
    after(async () => {
      flock().thaw(2)
      if (flocker) await removeContainers(flocker.dockerHost, PREFIX)
      await flocker?.stop()
    })
    const c = (i: number) => `${PREFIX}${runtime}-c${i}`

    test('merged views answer without it and name it', async () => {
      for (const path of ['/containers/json?all=1', '/images/json', '/volumes', '/networks']) {
        const seen = await ask(flocker.port, 'GET', `/v1.41${path}`)
        assert.equal(seen.status, 200, `${path}: ${seen.body}`)
        assert.match(String(seen.headers['x-flocker-missing-hosts']), /node2/, path)
      }
      const ps = await dockerOk(flocker.dockerHost, [
        'ps',
        '-a',
        '--format',
        '{{.Names}}',
        '--filter',
        `name=${PREFIX}`,
      ])
      assert.deepEqual(ps.split('\n').filter(Boolean).sort(), [c(1), c(3)])
      await dockerOk(flocker.dockerHost, ['images', '-q'])
      await dockerOk(flocker.dockerHost, ['system', 'df'])
      const info = await dockerOk(flocker.dockerHost, ['info'])
      assert.match(info, /node2/)
      const now = Math.floor(Date.now() / 1000)
      await dockerOk(flocker.dockerHost, ['events', '--since', String(now - 60), '--until', String(now)])
    })

    test('requests routed to it fail with a message naming it, attach and exec included', async () => {
      for (const ref of [ids[c(2)]!, ids[c(2)]!.slice(0, 12), c(2)]) {
        const seen = await ask(flocker.port, 'GET', `/v1.41/containers/${ref}/json`)
        assert.ok(seen.status >= 400, `${ref}: ${seen.status} ${seen.body}`)
        assert.match(messageOf(seen), /node2/, ref)
      }
      const attach = await upgrade(
        flocker.port,
        `/v1.41/containers/${ids[c(2)]}/attach?stream=1&stdin=1&stdout=1`,
      )
      assert.match(attach.statusLine, /^HTTP\/1\.1 [45]\d\d /, attach.all)
      assert.match(attach.all, /node2/)
      const start = await upgrade(flocker.port, `/v1.41/exec/${execId}/start`, '{"Detach":false,"Tty":false}')
      assert.match(start.statusLine, /^HTTP\/1\.1 [45]\d\d /, start.all)
      assert.match(start.all, /node2/)
      const exec = await docker(flocker.dockerHost, ['exec', c(2), 'true'], { timeout: HANG })
      assert.notEqual(exec.code, 0)
      assert.ok(exec.code !== null, 'docker exec hung')
      assert.match(exec.err, /node2/)
    })

    test('the healthy hosts go on: exec and logs on another host', async () => {
      const out = await dockerOk(flocker.dockerHost, ['exec', '-i', c(1), 'cat'], { input: 'still here' })
      assert.equal(out, 'still here')
      await dockerOk(flocker.dockerHost, ['logs', c(3)])
    })

    test('new containers are placed on the other hosts', async () => {
      await waitForHostStatus(flocker.port, 'node2', 'Unhealthy')
      for (let i = 0; i < 3; i++) {
        const name = `${PREFIX}${runtime}-new${i}`
        await dockerOk(flocker.dockerHost, ['create', ...NET, '--name', name, IMAGE, 'true'])
        const host = await dockerOk(flocker.dockerHost, ['inspect', '-f', '{{.Node.Name}}', name])
        assert.notEqual(host.trim(), 'node2')
      }
    })

    test('after SIGCONT everything on it answers again', async () => {
      flock().thaw(2)
      await waitForHostStatus(flocker.port, 'node2', 'Healthy')
      const ps = await dockerOk(flocker.dockerHost, [
        'ps',
        '--format',
        '{{.Names}}',
        '--filter',
        `name=${c(2)}`,
      ])
      assert.equal(ps.trim(), c(2))
      const out = await dockerOk(flocker.dockerHost, ['exec', '-i', c(2), 'cat'], { input: 'back' })
      assert.equal(out, 'back')
      const seen = await ask(flocker.port, 'GET', '/v1.41/containers/json')
      assert.equal(seen.headers['x-flocker-missing-hosts'], undefined)
    })
  })
}

// With the list cache on, a frozen engine's events stream stays open and silent, so only the health
// checks can tell: once its check is late (a quarter of the timeout) or failed, its rows are no
// longer answered from memory. The threshold keeps it "Healthy" throughout, so what is seen is that
// rule, not the host turning unhealthy.
for (const runtime of runtimes()) {
  describe(`a frozen host and the list cache, flocker on ${runtime}`, { skip: !enginesAvailable() }, () => {
    let flocker: RunningFlocker
    const name = `${PREFIX}${runtime}-cached`
    before(async () => {
      flocker = await startFlocker(runtime, [
        ...flock().engines.map((e) => `--node=${e.flag}`),
        '--list-cache=on',
        '--health-interval=500',
        '--health-threshold=1000',
        '--host-timeout=2000',
      ])
      await dockerOk(flocker.dockerHost, [
        'create',
        ...NET,
        '--name',
        name,
        '-e',
        'constraint:node==node2',
        IMAGE,
      ])
      // Answered from memory, the container included, before the freeze.
      await eventually(async () => {
        const seen = await ask(flocker.port, 'GET', '/v1.41/containers/json?all=1')
        assert.equal(seen.headers['x-flocker-list'], 'cached')
        assert.ok(seen.body.includes(`"/${name}"`), seen.body)
      })
      flock().freeze(2)
    })
    after(async () => {
      flock().thaw(2)
      if (flocker) await removeContainers(flocker.dockerHost, PREFIX)
      await flocker?.stop()
    })

    test('docker ps -a answers live: the frozen host missing and named, as without the cache', async () => {
      const seen = await eventually(async () => {
        const seen = await ask(flocker.port, 'GET', '/v1.41/containers/json?all=1')
        assert.match(String(seen.headers['x-flocker-missing-hosts']), /node2/)
        return seen
      })
      assert.equal(seen.status, 200)
      // node2 asked live (the others may answer from memory: partly cached).
      assert.notEqual(seen.headers['x-flocker-list'], 'cached', 'asked live')
      // Shown as last seen, on a host that is down, as a live list shows it.
      const listed = JSON.parse(seen.body) as { Names: string[]; Status: string }[]
      const row = listed.find((c) => c.Names[0] === `/${name}`)
      assert.equal(row?.Status, 'Host Down', seen.body)
      const rows = JSON.parse((await ask(flocker.port, 'GET', '/v1.41/info')).body).SystemStatus as string[][]
      const at = rows.findIndex(([host]) => host!.trim() === 'node2')
      assert.deepEqual(rows[at + 1], ['  └ Status', 'Healthy'], 'still healthy by its status')
    })

    test('after SIGCONT it is answered from memory again', async () => {
      flock().thaw(2)
      await eventually(async () => {
        const seen = await ask(flocker.port, 'GET', '/v1.41/containers/json?all=1')
        assert.equal(seen.headers['x-flocker-list'], 'cached')
        assert.ok(seen.body.includes(`"/${name}"`), seen.body)
      })
    })
  })
}
