import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { containerNames, docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { apiJson } from '../support/sessions.ts'

// flocker itself killed (SIGKILL, no goodbye) while containers run and creates are in flight, then
// started again: it keeps no state of its own that matters, so ownership, names and placement come
// back from the engines. Each create that was in flight either happened or did not, `docker ps`
// says which, and no name exists twice.

const flock = enginesForFile(3, {}, { registry: false })
const PREFIX = 'rs-'
const NAMES = 10
const CREATES = 30

for (const runtime of runtimes()) {
  describe(`flocker restarted mid-create, on ${runtime}`, { skip: !enginesAvailable() }, () => {
    const name = (what: string | number) => `${PREFIX}${runtime}-${what}`
    const flags = () => flock().engines.map((e) => `--node=${e.flag}`)
    let first: RunningFlocker
    let second: RunningFlocker
    /** Name -> host of the containers started before the kill. */
    const before1 = new Map<string, string>()
    /** Answers the creates in flight got before flocker died: name -> ID for each 201. */
    const created = new Map<string, string>()

    /** Names of this suite's containers on each engine, asked of the engines themselves. */
    const onEngines = async () => {
      const names: [string, string][] = []
      for (const [i, engine] of flock().engines.entries()) {
        for (const line of await containerNames(engine.url, `${PREFIX}${runtime}`)) {
          names.push([line, `node${i + 1}`])
        }
      }
      return names
    }

    before(async () => {
      first = await startFlocker(runtime, flags())
      for (let i = 1; i <= 3; i++) {
        const id = await dockerOk(first.dockerHost, [
          'run',
          '-d',
          '-i',
          ...NET,
          '-e',
          `constraint:node==node${i}`,
          '--name',
          name(`run${i}`),
          IMAGE,
          'cat',
        ])
        assert.match(id.trim(), /^[0-9a-f]{64}$/)
        before1.set(name(`run${i}`), `node${i}`)
      }
      // Creates of 10 names, each asked three times at once; flocker dies once the first is answered.
      let answered!: () => void
      const firstAnswer = new Promise<void>((resolve) => (answered = resolve))
      const creates = Array.from({ length: CREATES }, async (_, i) => {
        const wanted = name(`c${i % NAMES}`)
        try {
          const seen = await apiJson(first.port, 'POST', `/v1.41/containers/create?name=${wanted}`, {
            Image: IMAGE,
            Cmd: ['sleep', '100000'],
            HostConfig: { NetworkMode: 'none' },
          })
          if (seen.status === 201) created.set(wanted, seen.body.Id)
        } catch {
          // flocker died before answering: the create may or may not have happened
        } finally {
          answered()
        }
      })
      await firstAnswer
      first.process.kill('SIGKILL')
      await Promise.all(creates)
      await first.stop()
      process.stderr.write(`restart on ${runtime}: ${created.size} creates answered before the kill\n`)
      second = await startFlocker(runtime, flags())
    })
    after(async () => {
      await second?.stop()
      await first?.stop()
      await Promise.all(flock().engines.map((engine) => removeContainers(engine.url, PREFIX)))
    })

    test('docker ps tells which creates happened: each name at most once, every answered one there', async () => {
      const truth = await onEngines()
      const names = truth.map(([n]) => n)
      assert.equal(new Set(names).size, names.length, `a name exists twice: ${JSON.stringify(truth)}`)
      const listed = (await dockerOk(second.dockerHost, [
        'ps',
        '-a',
        '--filter',
        `name=${PREFIX}${runtime}`,
        '--format',
        '{{.Names}} {{.ID}}',
      ])).split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string])
      assert.deepEqual(listed.map(([n]) => n).sort(), [...names].sort())
      for (const [wanted, id] of created) {
        const row = listed.find(([n]) => n === wanted)
        assert.ok(row && id.startsWith(row[1]), `${wanted} was answered 201 (${id}) but is not listed`)
      }
    })

    test('names: a name that exists is refused with the engine wording, one that does not is created once', async () => {
      const existing = new Set((await onEngines()).map(([n]) => n))
      const attempts = Array.from({ length: NAMES }, (_, i) => name(`c${i}`)).flatMap((n) => [n, n])
      const answers = await Promise.all(
        attempts.map((wanted) =>
          apiJson(second.port, 'POST', `/v1.41/containers/create?name=${wanted}`, {
            Image: IMAGE,
            Cmd: ['true'],
            HostConfig: { NetworkMode: 'none' },
          }).then((seen) => ({ wanted, seen }))
        ),
      )
      for (let i = 0; i < NAMES; i++) {
        const wanted = name(`c${i}`)
        const mine = answers.filter((answer) => answer.wanted === wanted).map((answer) => answer.seen)
        const ok = mine.filter((seen) => seen.status === 201)
        const refused = mine.filter((seen) => seen.status === 409)
        assert.equal(ok.length, existing.has(wanted) ? 0 : 1, `${wanted}: ${JSON.stringify(mine)}`)
        assert.equal(refused.length, mine.length - ok.length, `${wanted}: ${JSON.stringify(mine)}`)
        for (const seen of refused) {
          assert.match(
            seen.body.message,
            /Conflict\. The container name "\/[^"]+" is already in use by container/,
          )
        }
      }
      const names = (await onEngines()).map(([n]) => n)
      assert.equal(new Set(names).size, names.length)
    })

    test('ownership: the containers started before answer where they run, exec included', async () => {
      for (const [wanted, host] of before1) {
        const node = (await dockerOk(second.dockerHost, ['inspect', '--format', '{{.Node.Name}}', wanted]))
          .trim()
        assert.equal(node, host)
        assert.equal(
          await dockerOk(second.dockerHost, ['exec', '-i', wanted, 'cat'], { input: 'still here\n' }),
          'still here\n',
        )
        const attached = await docker(second.dockerHost, ['exec', wanted, 'echo', wanted])
        assert.equal(attached.out, `${wanted}\n`)
      }
    })

    test('placement: the restarted flocker sees every host and each holds what its engine says', async () => {
      const info = JSON.parse(await dockerOk(second.dockerHost, ['info', '--format', '{{json .}}']))
      const rows = info.SystemStatus as [string, string][]
      for (const [i, engine] of flock().engines.entries()) {
        const at = rows.findIndex(([cell]) => cell.trim() === `node${i + 1}`)
        assert.ok(at >= 0, JSON.stringify(rows))
        const count = Number((await dockerOk(engine.url, ['info', '--format', '{{.Containers}}'])).trim())
        const shown = rows.slice(at + 1).find(([cell]) => /Containers/.test(cell))?.[1] ?? ''
        assert.equal(Number(shown.split(' ')[0]), count, JSON.stringify(rows))
      }
      // A new container with a constraint lands where asked: the host list came back whole.
      for (let i = 1; i <= 3; i++) {
        const wanted = name(`after${i}`)
        await dockerOk(second.dockerHost, [
          'create',
          ...NET,
          '-e',
          `constraint:node==node${i}`,
          '--name',
          wanted,
          IMAGE,
        ])
        const there = await dockerOk(flock().engines[i - 1]!.url, [
          'inspect',
          '--format',
          '{{.Name}}',
          wanted,
        ])
        assert.equal(there.trim(), `/${wanted}`)
      }
    })
  })
}
