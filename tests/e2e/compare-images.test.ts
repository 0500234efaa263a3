import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import { describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import {
  api,
  both,
  clearBoth,
  comparedSides,
  errorShape,
  hostsOfContainer,
  hostsOfImage,
  imageOnlyInRegistry,
  type Side,
} from './compare-support.ts'

/** Issue 10: images as one engine shows them, compared with a lone engine's answers. */
const sides = comparedSides()
const V = '/v1.41'
const hostOf = (side: Side) => sides()[side]

describe('images: flocker against one engine', () => {
  test('create of an image no host has: 404 No such image, as one engine answers', async () => {
    for (const engines of [sides().lone, sides().flockEngines]) {
      await imageOnlyInRegistry(engines, 'cmp-pull:1')
    }
    const { engine, flock } = await both(sides(), 'POST', `${V}/containers/create?name=cmp-missing`, {
      body: { Image: 'cmp-pull:1', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } },
    })
    assert.deepEqual(errorShape(flock), errorShape(engine))
    assert.equal(engine.status, 404)
  })

  test(
    "docker run shows the client's own pull, which lands on the host chosen for the container",
    async () => {
      for (const engines of [sides().lone, sides().flockEngines]) {
        await imageOnlyInRegistry(
          engines,
          'cmp-pull:2',
        )
      }
      const outputs: Record<Side, string> = { engine: '', flock: '' }
      for (const side of ['engine', 'flock'] as const) {
        const result = await docker(hostOf(side), ['run', '--name', 'cmp-run', ...NET, 'cmp-pull:2', 'true'])
        assert.equal(result.code, 0, result.err)
        outputs[side] = result.err.replace(/sha256:[0-9a-f]+/g, 'sha256:ID')
      }
      assert.equal(outputs.flock, outputs.engine)
      assert.match(outputs.flock, /Unable to find image 'cmp-pull:2' locally/)
      assert.deepEqual(await hostsOfImage(sides(), 'cmp-pull:2'), await hostsOfContainer(sides(), 'cmp-run'))
      await clearBoth(sides())
    },
  )

  test('docker run --pull never of a missing image fails as on one engine', async () => {
    for (const engines of [sides().lone, sides().flockEngines]) {
      await imageOnlyInRegistry(engines, 'cmp-pull:3')
    }
    const results = await Promise.all(
      (['engine', 'flock'] as const).map((side) =>
        docker(hostOf(side), ['run', '--pull', 'never', ...NET, 'cmp-pull:3', 'true'])
      ),
    )
    const [engine, flock] = results.map((r) => ({ code: r.code, err: r.err.trim() }))
    assert.deepEqual(flock, engine)
    assert.notEqual(engine!.code, 0)
    assert.deepEqual(await hostsOfImage(sides(), 'cmp-pull:3'), [])
  })

  test('images known by ID (commit results) draw the create to their host', async () => {
    const statuses: Record<Side, number> = { engine: 0, flock: 0 }
    for (const side of ['engine', 'flock'] as const) {
      await dockerOk(hostOf(side), ['run', '--name', 'cmp-commit-src', ...NET, IMAGE, 'touch', '/made'])
      const committed = await api(hostOf(side), 'POST', `${V}/commit?container=cmp-commit-src`, { body: {} })
      assert.equal(committed.status, 201, committed.text)
      const id = committed.json().Id as string
      const created = await api(hostOf(side), 'POST', `${V}/containers/create?name=cmp-from-id`, {
        body: { Image: id, Cmd: ['ls', '/made'], HostConfig: { NetworkMode: 'none' } },
      })
      statuses[side] = created.status
      if (side === 'flock') {
        assert.equal(created.status, 201, created.text)
        assert.deepEqual(
          await hostsOfContainer(sides(), 'cmp-from-id'),
          await hostsOfContainer(sides(), 'cmp-commit-src'),
        )
        await api(hostOf(side), 'DELETE', `${V}/images/${id}?force=1`)
      }
    }
    assert.deepEqual(statuses.flock, statuses.engine)
    await clearBoth(sides())
  })

  test('load keeps the `Loaded image:` lines that clients read', async () => {
    const tar = `/tmp/cmp-load-${process.pid}.tar`
    await dockerOk(sides().engine, ['tag', IMAGE, 'cmp-load:1'])
    await dockerOk(sides().engine, ['save', '-o', tar, 'cmp-load:1'])
    await dockerOk(sides().engine, ['rmi', 'cmp-load:1'])
    const body = new Uint8Array(readFileSync(tar))
    rmSync(tar)
    const { engine, flock } = await both(sides(), 'POST', `${V}/images/load?quiet=0`, { body })
    const lines = (answer: typeof engine) => answer.messages().map((m) => m.stream ?? m.status ?? m.error)
    assert.deepEqual(lines(flock), lines(engine))
    assert.deepEqual(lines(engine), ['Loaded image: cmp-load:1\n'])
  })

  test('import with changes reports the image ID, plain', async () => {
    const tar = new Uint8Array(readFileSync('/tmp/flocker-cache/busybox-rootfs.tar'))
    const changes = encodeURIComponent('CMD ["sh"]')
    const { engine, flock } = await both(
      sides(),
      'POST',
      `${V}/images/create?fromSrc=-&repo=cmp-import&tag=1&changes=${changes}`,
      { body: tar },
    )
    const shape = (answer: typeof engine) =>
      answer.messages().map((m) => String(m.status).replace(/^sha256:[0-9a-f]{64}$/, 'sha256:ID'))
    assert.deepEqual(shape(flock), shape(engine))
    const id = flock.messages().at(-1).status
    assert.equal((await api(sides().flock, 'GET', `${V}/images/${id}/json`)).status, 200)
  })

  test('image prune answers in the shape of one engine', async () => {
    const { engine, flock } = await both(sides(), 'POST', `${V}/images/prune`)
    assert.equal(flock.status, engine.status)
    assert.deepEqual(Object.keys(flock.json()).sort(), Object.keys(engine.json()).sort())
  })

  test('info counts agree with the lists, as on one engine', async () => {
    await dockerOk(sides().flock, ['create', '--name', 'cmp-count', ...NET, IMAGE, 'true'])
    await dockerOk(sides().engine, ['create', '--name', 'cmp-count', ...NET, IMAGE, 'true'])
    for (const side of ['engine', 'flock'] as const) {
      const info = (await api(hostOf(side), 'GET', `${V}/info`)).json()
      const images = (await api(hostOf(side), 'GET', `${V}/images/json`)).json()
      const containers = (await api(hostOf(side), 'GET', `${V}/containers/json?all=1`)).json()
      assert.equal(info.Images, images.length, `${side}: info.Images against the image list`)
      assert.equal(info.Containers, containers.length, `${side}: info.Containers against ps -a`)
      const df = (await api(hostOf(side), 'GET', `${V}/system/df`)).json()
      assert.equal(df.Images.length, images.length, `${side}: system df images against the image list`)
    }
    await clearBoth(sides())
  })

  test('save of images on different hosts says where each is', async () => {
    const [n1, n2] = sides().flockEngines.engines
    await dockerOk(n1!.url, ['tag', IMAGE, 'cmp-save-a:1'])
    await dockerOk(sides().engine, ['tag', IMAGE, 'cmp-save-a:1'])
    await dockerOk(n2!.url, ['commit', ...await madeOn(n2!.url), 'cmp-save-b:1'])
    await dockerOk(sides().engine, ['commit', ...await madeOn(sides().engine), 'cmp-save-b:1'])
    const direct = await docker(sides().engine, [
      'save',
      '-o',
      `/tmp/cmp-save-${process.pid}.tar`,
      'cmp-save-a:1',
      'cmp-save-b:1',
    ])
    assert.equal(direct.code, 0, direct.err)
    const flocked = await docker(sides().flock, [
      'save',
      '-o',
      `/tmp/cmp-save-${process.pid}.tar`,
      'cmp-save-a:1',
      'cmp-save-b:1',
    ])
    assert.notEqual(flocked.code, 0)
    assert.match(flocked.err, /cmp-save-a:1.*node1/s)
    assert.match(flocked.err, /cmp-save-b:1.*node2/s)
    assert.match(flocked.err, /one host/)
    rmSync(`/tmp/cmp-save-${process.pid}.tar`, { force: true })
    await clearBoth(sides())
  })
})

/** A stopped container on a host, to commit a second image from. */
async function madeOn(host: string): Promise<string[]> {
  const id = await dockerOk(host, ['run', '-d', ...NET, IMAGE, 'touch', '/b'])
  await dockerOk(host, ['wait', id.trim()])
  return [id.trim()]
}
