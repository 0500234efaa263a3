import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { IMAGE, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { apiJson } from '../support/sessions.ts'

// Names stay unique under concurrency: 300 creates of 30 names at once through one flocker in front
// of three engines (each engine only refuses its own duplicates), and a compose-like burst, while
// another client lists and inspects. Each name is created exactly once in the flock; every other
// attempt gets the engine's conflict wording.

const flock = enginesForFile(3, {}, { registry: false })
const PREFIX = 'nm-'
const CONFLICT = /^Conflict\. The container name "\/[^"]+" is already in use by container "[0-9a-f]{64}"/

for (const runtime of runtimes()) {
  describe(`names under concurrency, flocker on ${runtime}`, { skip: !enginesAvailable() }, () => {
    let flocker: RunningFlocker
    before(async () => {
      // What is tested here is the load, not failure detection: on a starved machine a 3 s health
      // check can fail for every host at once, which would end sessions that are fine.
      flocker = await startFlocker(runtime, [
        ...flock().engines.map((e) => `--node=${e.flag}`),
        '--health-timeout=60000',
        '--health-threshold=3',
      ])
    })
    after(async () => {
      if (flocker) await removeContainers(flocker.dockerHost, PREFIX)
      await flocker?.stop()
    })

    test('300 creates of 30 names and a compose-like burst, while another client lists: each name once', async () => {
      const create = (name: string, labels: Record<string, string> = {}) =>
        apiJson(flocker.port, 'POST', `/v1.41/containers/create?name=${name}`, {
          Image: IMAGE,
          Cmd: ['true'],
          Labels: labels,
          HostConfig: { NetworkMode: 'none' },
        })
      let racing = true
      const watcher = (async () => {
        const statuses: number[] = []
        while (racing) {
          statuses.push((await apiJson(flocker.port, 'GET', '/v1.41/containers/json?all=1')).status)
          statuses.push(
            (await apiJson(flocker.port, 'GET', `/v1.41/containers/${PREFIX}${runtime}-r0/json`)).status,
          )
        }
        return statuses
      })()
      const race = Array.from({ length: 300 }, (_, i) => create(`${PREFIX}${runtime}-r${i % 30}`))
      const compose = Array.from({ length: 30 }, (_, i) => {
        const project = `${PREFIX}${runtime}-p${i % 3}`
        const service = `s${i % 10}`
        return create(`${project}_${service}_1`, {
          'com.docker.compose.project': project,
          'com.docker.compose.service': service,
        })
      })
      const answers = await Promise.all([...race, ...compose, ...compose.map(() => Promise.resolve(null))])
      racing = false
      const watched = await watcher
      const created = answers.filter((a) => a?.status === 201)
      const refused = answers.filter((a) => a && a.status !== 201)
      assert.equal(created.length, 30 + 30, `created ${created.length}`)
      for (const answer of refused) {
        assert.equal(answer!.status, 409, JSON.stringify(answer!.body))
        assert.match(answer!.body.message, CONFLICT)
      }
      assert.equal(refused.length, 270)
      const listed = await apiJson(flocker.port, 'GET', `/v1.41/containers/json?all=1`)
      const names = (listed.body as { Names: string[] }[]).map((c) => c.Names[0]!).filter((n) =>
        n.startsWith(`/${PREFIX}`)
      )
      assert.equal(names.length, 60)
      assert.equal(new Set(names).size, 60, 'a name appears twice in the flock')
      assert.ok(
        watched.every((status) => status === 200 || status === 404),
        `lister saw ${[...new Set(watched)]}`,
      )
    })
  })
}
