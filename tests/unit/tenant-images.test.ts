import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { normalizeImageRef } from '../../src/docker/image-ref.ts'
import type { Host } from '../../src/flock/host.ts'
import { DockerError } from '../../src/docker/errors.ts'
import { idMark, isReserved, markRepo, ownedView, refMark } from '../../src/tenants/image-marks.ts'
import { familiarMatch } from '../../src/tenants/images.ts'
import { heldBy, ownedImageOn } from '../../src/tenants/owned-images.ts'
import { restoreMark } from '../../src/tenants/image-claims.ts'

const id = (prefix: string) => `sha256:${prefix.padEnd(64, '0')}`

/** One engine's images (ID -> tags), answering inspect and the reference-filtered list as dockerd does. */
function engine(images: Record<string, string[]>): Host {
  const inspect = (ref: string) => {
    const named = normalizeImageRef(ref)
    const byTag = Object.entries(images).find(([, tags]) => tags.some((t) => normalizeImageRef(t) === named))
    const bare = ref.replace(/^sha256:/, '')
    const byPrefix = Object.keys(images).filter((i) => i.slice(7).startsWith(bare))
    const found = byTag?.[0] ?? (byPrefix.length === 1 ? byPrefix[0] : undefined)
    if (!found) throw new DockerError(404, `No such image: ${ref}`)
    return { Id: found, RepoTags: images[found], RepoDigests: [] }
  }
  const move = (ref: string, to?: string) => {
    for (const tags of Object.values(images)) tags.splice(0, tags.length, ...tags.filter((t) => t !== ref))
    if (to) images[to]!.push(ref)
  }
  return {
    name: 'node1',
    json(path: string, init: { method?: string } = {}) {
      const url = new URL(path, 'http://engine')
      const named = decodeURIComponent(url.pathname.replace(/^\/images\//, '').replace(/\/tag$/, ''))
      if (init.method === 'DELETE') return Promise.resolve(move(named))
      if (init.method === 'POST') {
        const ref = `${url.searchParams.get('repo')}:${url.searchParams.get('tag')}`
        return Promise.resolve(move(ref, inspect(named).Id))
      }
      const inspected = /^\/images\/(.+)\/json$/.exec(url.pathname)
      if (inspected) return Promise.resolve(inspect(decodeURIComponent(inspected[1]!)))
      const patterns: string[] = JSON.parse(url.searchParams.get('filters') ?? '{}').reference ?? []
      const rows = Object.entries(images).flatMap(([Id, tags]) => {
        const matching = tags.filter((t) => !patterns.length || patterns.some((p) => familiarMatch(p, t)))
        return matching.length ? [{ Id, RepoTags: matching }] : []
      })
      return Promise.resolve(rows)
    },
  } as unknown as Host
}

describe('ownership marks', () => {
  test("a tenant's repository: readable when it can be, else hex; reserved for everyone", () => {
    assert.equal(markRepo('team-a'), 'flocker-owned/team-a')
    assert.equal(markRepo('Team_A.'), 'flocker-owned-x/5465616d5f412e')
    assert.ok(isReserved('flocker-owned/team-a:x'))
    assert.ok(isReserved('docker.io/flocker-owned-x/00'))
    assert.ok(!isReserved('busybox:latest'))
  })
  test('a mark of a tag is the same for every spelling of the tag', async () => {
    assert.equal(await refMark('a', 'busybox'), await refMark('a', 'docker.io/library/busybox:latest'))
    assert.notEqual(await refMark('a', 'busybox:1'), await refMark('a', 'busybox'))
  })
  test("what of an image a tenant sees: only its tags (their repositories' digests), none of the marks", async () => {
    const image = {
      Id: id('abc'),
      RepoTags: [
        'app:1',
        'other:2',
        idMark('a', id('abc')),
        await refMark('a', 'app:1'),
        await refMark('b', 'other:2'),
      ],
      RepoDigests: ['app@sha256:1', 'other@sha256:2'],
    }
    assert.deepEqual(await ownedView('a', image), { owned: true, tags: ['app:1'], digests: ['app@sha256:1'] })
    assert.deepEqual(await ownedView('b', image), { owned: false, tags: [], digests: [] })
  })
})

describe("a reference among a tenant's images", () => {
  const setup = async () => ({
    [id('aaa1')]: ['app:1', idMark('a', id('aaa1')), await refMark('a', 'app:1')],
    [id('aaa2')]: ['secret:1', idMark('b', id('aaa2')), await refMark('b', 'secret:1')],
    [id('bbb')]: [idMark('a', id('bbb')), idMark('b', id('bbb'))],
  })
  test('its own by tag, full ID, ID prefix; never one that only another tenant owns', async () => {
    const host = engine(await setup())
    assert.equal((await ownedImageOn(host, 'a', 'app:1'))?.id, id('aaa1'))
    assert.equal((await ownedImageOn(host, 'a', 'app:1'))?.tag, 'app:1')
    assert.equal((await ownedImageOn(host, 'a', id('aaa1')))?.id, id('aaa1'))
    // `aaa` is ambiguous on the engine, not among a's own images.
    assert.equal((await ownedImageOn(host, 'a', 'aaa'))?.id, id('aaa1'))
    assert.equal((await ownedImageOn(host, 'a', 'sha256:aa'))?.id, id('aaa1'))
    assert.equal(await ownedImageOn(host, 'a', 'secret:1'), undefined)
    assert.equal(await ownedImageOn(host, 'a', id('aaa2')), undefined)
    assert.equal(await ownedImageOn(host, 'a', 'aaa2'), undefined)
    // An image both own: each may use it by ID, neither has a tag on it.
    assert.equal((await ownedImageOn(host, 'b', 'bbb'))?.id, id('bbb'))
  })
  test('a tag another tenant holds is taken, wherever it points now', async () => {
    const host = engine(await setup())
    assert.equal(await heldBy(host, 'a', 'secret:1'), id('aaa2'))
    assert.equal(await heldBy(host, 'b', 'secret:1'), undefined)
    assert.equal(await heldBy(host, 'b', 'app'), undefined)
    assert.equal(await heldBy(host, 'b', 'app:1'), id('aaa1'))
  })
})

describe('a mark a load moved', () => {
  test("goes back to its tenant's image, or goes", async () => {
    const app = await refMark('a', 'app:1')
    const images: Record<string, string[]> = {
      [id('aaa1')]: ['app:1'],
      // What bob's load brought: alice's marks (moved off her image) and one naming no image.
      [id('bbb')]: [idMark('a', id('aaa1')), app, idMark('a', id('ccc')), idMark('b', id('bbb'))],
    }
    const host = engine(images)
    for (const mark of [idMark('a', id('aaa1')), app, idMark('a', id('ccc'))]) await restoreMark(host, mark)
    assert.deepEqual(images[id('aaa1')], ['app:1', idMark('a', id('aaa1')), app])
    assert.deepEqual(images[id('bbb')], [idMark('b', id('bbb'))])
  })
})

describe("docker's reference filter", () => {
  test('a glob on name:tag or on the name alone, * not crossing /', () => {
    assert.ok(familiarMatch('busybox', 'busybox:latest'))
    assert.ok(familiarMatch('busy*:lat?st', 'busybox:latest'))
    assert.ok(familiarMatch('*/app', 'reg/app:1'))
    assert.ok(!familiarMatch('*', 'reg/app:1'))
    assert.ok(familiarMatch('app:[0-9]', 'app:1'))
    assert.ok(!familiarMatch('app:[^0-9]', 'app:1'))
  })
})
