import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { type LocalEngines, startEngines } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { apiWithToken, writeTokenConfig } from '../support/token-config.ts'

// Images per tenant (`tenantImages: per-tenant`): tenants `a` (alice) and `b` (bob) on two real
// engines. What each pulls, loads, tags and commits is its own; the other's images answer as missing
// ones by every form of reference, lists and prunes hold only its own, and a tag one holds cannot be
// taken by the other. Ownership is made by one flocker process and checked by the next (a restart).
let flock: LocalEngines | undefined
const engines = () => flock!
const PREFIX = 'ti-'
const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789', root: 'root-token-0123456789' }
const GROUPS = { containers: 'write', images: 'write', build: 'write', export: 'write', system: 'read' }
type Who = keyof typeof TOKENS
type Json = Record<string, unknown>

let dir: string
const config = () => join(dir, 'flocker.json')
const as = (who: Who) => ({ env: { DOCKER_CONFIG: join(dir, `cli-${who}`) } })
const direct = () => engines().engines[0]!.url
const base = () => `${engines().registry}/${PREFIX}base:1`
const other = () => `${engines().registry}/${PREFIX}other:1`
const pushed = () => `${engines().registry}/${PREFIX}a-commit:1`

const api = (flocker: RunningFlocker, who: Who, method: string, path: string, body?: unknown) =>
  apiWithToken(flocker.port, TOKENS[who], method, path, body)

const start = () =>
  startFlocker('node', [...engines().engines.map((e) => `--node=${e.flag}`), '--config', config()])

// What alice and bob own, made through one flocker that is then stopped.
const made = { commit: '', dangling: '', digest: '' }
before(async () => {
  flock = await startEngines(2)
  dir = mkdtempSync(join(tmpdir(), 'tenant-images-'))
  writeTokenConfig(dir, TOKENS, {
    alice: { tenant: 'a', groups: GROUPS },
    bob: { tenant: 'b', groups: GROUPS },
    root: { admin: true },
  }, { tenantImages: 'per-tenant' })
  // In the registry: busybox as ti-base:1. In a tar for bob: the same image as ti-bob:1.
  await dockerOk(direct(), ['tag', IMAGE, base()])
  await dockerOk(direct(), ['push', base()])
  await dockerOk(direct(), ['rmi', base()])
  await dockerOk(direct(), ['tag', IMAGE, other()])
  await dockerOk(direct(), ['push', other()])
  await dockerOk(direct(), ['rmi', other()])
  await dockerOk(direct(), ['tag', IMAGE, `${PREFIX}bob:1`])
  await dockerOk(direct(), ['save', '-o', join(dir, 'bob.tar'), `${PREFIX}bob:1`])
  // In another tar: an image of its own content named ti-app:1 (the tag alice is about to hold).
  const scratch = (await dockerOk(direct(), ['create', ...NET, IMAGE, 'true'])).trim()
  const steal = (await dockerOk(direct(), ['commit', scratch])).trim()
  await dockerOk(direct(), ['rm', scratch])
  await dockerOk(direct(), ['tag', steal, `${PREFIX}app:1`])
  await dockerOk(direct(), ['save', '-o', join(dir, 'steal.tar'), `${PREFIX}app:1`])
  await dockerOk(direct(), ['rmi', `${PREFIX}app:1`])
  await dockerOk(direct(), ['rmi', `${PREFIX}bob:1`])

  const flocker = await start()
  try {
    const alice = (args: string[]) => dockerOk(flocker.dockerHost, args, as('alice'))
    await alice(['pull', base()])
    await alice(['tag', base(), `${PREFIX}app:1`])
    await alice(['create', '--name', `${PREFIX}a-c`, ...NET, `${PREFIX}app:1`, 'true'])
    made.commit = (await alice(['commit', `${PREFIX}a-c`, `${PREFIX}a-commit:1`])).trim()
    made.dangling = (await alice(['commit', '-m', 'dangling', `${PREFIX}a-c`])).trim()
    await alice(['tag', made.commit, pushed()])
    await alice(['push', pushed()])
    const digests = JSON.parse(await alice(['inspect', '-f', '{{json .RepoDigests}}', pushed()]))
    made.digest = String(digests[0])
    await dockerOk(flocker.dockerHost, ['load', '-i', join(dir, 'bob.tar')], as('bob'))
  } finally {
    await flocker.stop()
  }
})
after(async () => {
  await flock?.down()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

for (const runtime of runtimes()) {
  describe(`images per tenant on ${runtime}, after a restart`, () => {
    let flocker: RunningFlocker
    const cli = (who: Who, args: string[]) => docker(flocker.dockerHost, args, as(who))
    const tags = async (who: Who, ...args: string[]) =>
      (await dockerOk(
        flocker.dockerHost,
        ['images', ...args, '--format', '{{.Repository}}:{{.Tag}}'],
        as(who),
      ))
        .split('\n').filter(Boolean).sort()
    before(async () => {
      flocker = await startFlocker(runtime, [
        ...engines().engines.map((e) => `--node=${e.flag}`),
        '--config',
        config(),
      ])
    })
    after(() => flocker?.stop())

    test('each tenant lists only its own images, with only its own tags; an admin sees all', async () => {
      const alices = ['<none>:<none>', base(), pushed(), `${PREFIX}a-commit:1`, `${PREFIX}app:1`]
      assert.deepEqual(await tags('alice'), alices.sort())
      assert.deepEqual(await tags('bob'), [`${PREFIX}bob:1`])
      assert.deepEqual(await tags('alice', '--filter', 'dangling=true'), ['<none>:<none>'])
      assert.deepEqual(await tags('alice', '--filter', `reference=${PREFIX}app`), [`${PREFIX}app:1`])
      const all = await tags('root')
      for (const tag of [IMAGE, `${PREFIX}app:1`, `${PREFIX}bob:1`]) {
        assert.ok(all.includes(tag), all.join(' '))
      }
      assert.ok(all.some((tag) => tag.startsWith('flocker-owned/a:')), all.join(' '))
    })

    test("another tenant's tag is taken: tag, pull, build and commit to it are refused, nothing moves", async () => {
      const before = await api(flocker, 'root', 'GET', `/images/${PREFIX}app:1/json`)
      const tagged = await cli('bob', ['tag', `${PREFIX}bob:1`, `${PREFIX}app:1`])
      assert.notEqual(tagged.code, 0)
      assert.match(tagged.err, /Conflict\. The image name "ti-app:1" is already in use/)
      if (runtime !== 'node') return
      const fromImage = `${engines().registry}/${PREFIX}base`
      const pulled = await api(flocker, 'bob', 'POST', `/images/create?fromImage=${fromImage}&tag=1`)
      assert.equal(pulled.status, 409, pulled.text)
      const built = await api(flocker, 'bob', 'POST', `/build?t=${PREFIX}b-x:1&t=${PREFIX}app:1`)
      assert.equal(built.status, 409, built.text)
      const committed = await api(flocker, 'bob', 'POST', `/commit?container=x&repo=${PREFIX}app&tag=1`)
      assert.equal(committed.status, 409, committed.text)
      const reserved = await api(
        flocker,
        'bob',
        'POST',
        `/images/${PREFIX}bob:1/tag?repo=flocker-owned/b&tag=x`,
      )
      assert.equal(reserved.status, 400, reserved.text)
      // A load is judged after the fact: the tag it moved is put back, and the load ends in the conflict.
      const loaded = await cli('bob', ['load', '-i', join(dir, 'steal.tar')])
      assert.notEqual(loaded.code, 0)
      assert.match(loaded.err, /Conflict\. The image name "ti-app:1" is already in use/)
      for (const e of engines().engines) {
        const tagged = JSON.parse(await dockerOk(e.url, ['image', 'inspect', `${PREFIX}app:1`]))
        assert.equal(tagged[0].Id, before.json.Id, e.name)
      }
      // What bob loaded is his, untagged: his prune takes it.
      await dockerOk(flocker.dockerHost, ['image', 'prune', '-f'], as('bob'))
      const now = await api(flocker, 'root', 'GET', `/images/${PREFIX}app:1/json`)
      assert.equal(now.json.Id, before.json.Id)
    })

    test("another tenant's image by every form of reference answers as a missing one", async () => {
      const inspected = await cli('bob', ['image', 'inspect', `${PREFIX}app:1`])
      assert.match(inspected.err, /No such image: ti-app:1/)
      if (runtime !== 'node') return
      const id = made.commit
      const refs = [
        `${PREFIX}a-commit:1`,
        pushed(),
        id,
        id.slice(7),
        id.slice(7, 19),
        id.slice(0, 12),
        made.digest,
      ]
      for (const ref of refs) {
        const e = encodeURIComponent(ref)
        const asks: [string, string, unknown?][] = [
          ['GET', `/images/${e}/json`],
          ['GET', `/images/${e}/history`],
          ['GET', `/images/${e}/get`],
          ['GET', `/images/get?names=${e}`],
          ['POST', `/images/${e}/tag?repo=${PREFIX}b-new&tag=1`],
          ['DELETE', `/images/${e}`],
          ['POST', '/containers/create', { Image: ref }],
        ]
        // (Errors to callers who are not admins show no addresses: the registry's is `(address)`.)
        const shown = ref.replace(engines().registry, '(address)')
        for (const [method, path, body] of asks) {
          const answer = await api(flocker, 'bob', method, path, body)
          assert.deepEqual(
            [answer.status, answer.json.message],
            [404, `No such image: ${shown}`],
            `${method} ${path}`,
          )
        }
      }
      const push = await api(flocker, 'bob', 'POST', `/images/${PREFIX}a-commit/push?tag=1`)
      assert.equal(push.status, 404, push.text)
      // alice finds it by each form, and sees only her tags on the image she shares with bob.
      for (const ref of [...refs, base()]) {
        assert.equal(
          (await api(flocker, 'alice', 'GET', `/images/${encodeURIComponent(ref)}/json`)).status,
          200,
          ref,
        )
      }
      const shared = await api(flocker, 'alice', 'GET', `/images/${PREFIX}app:1/json`)
      assert.deepEqual((shared.json.RepoTags as string[]).sort(), [base(), `${PREFIX}app:1`].sort())
      const sharedByBob = await api(flocker, 'bob', 'GET', `/images/${String(shared.json.Id)}/json`)
      assert.deepEqual(sharedByBob.json.RepoTags, [`${PREFIX}bob:1`])
      // bob's run of an image whose tag alice holds: the CLI's pull is refused.
      const run = await cli('bob', ['run', '--rm', ...NET, `${engines().registry}/${PREFIX}base:1`, 'true'])
      assert.notEqual(run.code, 0, 'alice holds that tag: the pull is refused')
      assert.match(run.err, /already in use/)
    })
  })
}

// What changes the tenants' images, once (nothing here is runtime-specific).
describe('images per tenant: prune, df, rmi, run (node)', () => {
  let flocker: RunningFlocker
  const tags = async (who: Who) =>
    (await dockerOk(flocker.dockerHost, ['images', '--format', '{{.Repository}}:{{.Tag}}'], as(who)))
      .split('\n').filter(Boolean).sort()
  before(async () => {
    flocker = await start()
  })
  after(() => flocker?.stop())

  test("prune, df and rmi touch only the tenant's own; a run's pull makes the image its own", async () => {
    const df = (await dockerOk(flocker.dockerHost, ['system', 'df', '--format', '{{json .}}'], as('bob')))
      .split('\n').filter(Boolean).map((line) => JSON.parse(line) as Json)
    assert.equal(df.find((row) => row.Type === 'Images')?.TotalCount, '1')
    await dockerOk(flocker.dockerHost, ['image', 'prune', '-a', '-f'], as('bob'))
    assert.deepEqual(await tags('bob'), [])
    assert.equal((await api(flocker, 'root', 'GET', `/images/${made.dangling}/json`)).status, 200)
    assert.equal((await api(flocker, 'root', 'GET', `/images/${PREFIX}app:1/json`)).status, 200)
    await dockerOk(flocker.dockerHost, ['image', 'prune', '-f'], as('alice'))
    assert.equal((await api(flocker, 'root', 'GET', `/images/${made.dangling}/json`)).status, 404)
    // rmi of her tag: the image stays, for the others who hold it (the admin's busybox:local is it too).
    await dockerOk(flocker.dockerHost, ['rmi', `${PREFIX}app:1`], as('alice'))
    assert.deepEqual(await tags('alice'), [base(), pushed(), `${PREFIX}a-commit:1`].sort())
    assert.equal((await api(flocker, 'root', 'GET', `/images/${IMAGE}/json`)).status, 200)
    // A run of an image bob lacks: 404, the CLI pulls it (now his), and the create goes on.
    await dockerOk(flocker.dockerHost, ['run', '--rm', ...NET, other(), 'true'], as('bob'))
    // ti-app:1 is free now: bob may take it.
    await dockerOk(flocker.dockerHost, ['load', '-i', join(dir, 'bob.tar')], as('bob'))
    await dockerOk(flocker.dockerHost, ['tag', `${PREFIX}bob:1`, `${PREFIX}app:1`], as('bob'))
    // A tag alice holds: bob pulls it by digest (no tag, the image his) and tags it his own way.
    const digests: string[] = JSON.parse(
      await dockerOk(direct(), ['image', 'inspect', '-f', '{{json .RepoDigests}}', base()]),
    )
    const byDigest = digests.find((d) => d.startsWith(`${engines().registry}/${PREFIX}base@`))!
    await dockerOk(flocker.dockerHost, ['pull', byDigest], as('bob'))
    await dockerOk(flocker.dockerHost, ['tag', byDigest, `${PREFIX}b-base:1`], as('bob'))
    assert.deepEqual(
      await tags('bob'),
      [other(), `${PREFIX}app:1`, `${PREFIX}b-base:1`, `${PREFIX}bob:1`].sort(),
    )
  })
})
