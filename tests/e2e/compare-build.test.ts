import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { describe, test } from 'node:test'
import Docker from 'dockerode'
import { dockerOk, IMAGE } from '../support/docker.ts'
import { api, comparedSides, hostsOfImage, type Side } from './compare-support.ts'

/**
 * Issue 10: builds. The BuildKit client this machine can run is dockerode's (`version: '2'`: a gRPC
 * session over `/session`, then `/build?session=ID`); the docker CLI here has no buildx plugin.
 */
const sides = comparedSides()
const V = '/v1.41'
const SIDES = ['engine', 'flock'] as const

function client(side: Side): Docker {
  const host = sides()[side]
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) })
  const url = new URL(host)
  return new Docker({ host: url.hostname, port: Number(url.port) })
}

/** A build context holding only a Dockerfile (a tar of one file, made by hand). */
function contextTar(dockerfile: string): Buffer {
  const content = Buffer.from(dockerfile)
  const header = Buffer.alloc(512)
  header.write('Dockerfile', 0)
  header.write('0000644\0', 100)
  header.write('0000000\0', 108)
  header.write('0000000\0', 116)
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124)
  header.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136)
  header.write('        ', 148)
  header.write('0', 156)
  header.write('ustar\0' + '00', 257)
  const sum = header.reduce((total, byte) => total + byte, 0)
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512)
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)])
}

async function buildWith(side: Side, tag: string, options: Record<string, unknown>): Promise<string> {
  const docker = client(side)
  const stream = await docker.buildImage(contextTar(`FROM ${IMAGE}\nRUN echo built > /built\n`) as never, {
    t: tag,
    ...options,
  })
  const messages = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error, out) => (error ? reject(error) : resolve(out)))
  )
  const failed = messages.find((m) => m.error)
  return failed ? `error: ${failed.error}` : 'built'
}

describe('builds: flocker against one engine', () => {
  test("a BuildKit build (dockerode, version 2) runs on its session's host", async () => {
    const results: string[] = []
    for (const side of SIDES) results.push(await buildWith(side, 'cmp-buildkit:1', { version: '2' }))
    assert.deepEqual(results, ['built', 'built'])
    assert.equal((await hostsOfImage(sides(), 'cmp-buildkit:1')).length, 1)
  })

  test('a build with cache_from goes to the host that holds the cache image', async () => {
    const [, n2] = sides().flockEngines.engines
    await dockerOk(n2!.url, ['tag', IMAGE, 'cmp-cache:1'])
    await dockerOk(sides().engine, ['tag', IMAGE, 'cmp-cache:1'])
    const query = `t=cmp-cached:1&cachefrom=${encodeURIComponent(JSON.stringify(['cmp-cache:1']))}`
    for (const side of SIDES) {
      const built = await api(sides()[side], 'POST', `${V}/build?${query}`, {
        body: new Uint8Array(contextTar(`FROM cmp-cache:1\nCMD ["true"]\n`)),
      })
      assert.equal(built.status, 200, built.text)
      assert.ok(!built.messages().some((m) => m.error), `${side}: ${built.text}`)
    }
    assert.deepEqual(await hostsOfImage(sides(), 'cmp-cached:1'), ['node2'])
  })
})
