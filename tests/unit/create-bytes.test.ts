import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FlockerApp } from '../../src/app.ts'
import { holdBody, readJsonBody } from '../../src/docker/body.ts'
import { readCapped } from '../../src/front-door/limits.ts'
import { DockerError } from '../../src/docker/errors.ts'
import { withWholeBody } from '../../src/runtime/whole-body.ts'
import { Host } from '../../src/flock/host.ts'
import type { RuntimeAdapter } from '../../src/runtime/types.ts'
import * as v from 'valibot'
import { startFakeFlock } from '../support/fake-flock.ts'

const encode = (text: string) => new TextEncoder().encode(text)

async function* chunks(...parts: string[]) {
  for (const part of parts) yield encode(part)
}

describe("a create's body and answer are read once, as bytes", () => {
  test("the door reads the server's chunks (ServeEnv.bodyChunks) within the same caps as a stream", async () => {
    assert.equal(new TextDecoder().decode(await readCapped(chunks('ab', 'cd'), 4, 1000)), 'abcd')
    await assert.rejects(
      readCapped(chunks('ab', 'cde'), 4, 1000),
      (e) => e instanceof DockerError && e.status === 413,
    )
    let stopped = false
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise(() => {}),
        return: () => {
          stopped = true
          return Promise.resolve({ done: true, value: undefined })
        },
      }),
    }
    await assert.rejects(readCapped(stalled, 4, 20), (e) => e instanceof DockerError && e.status === 408)
    assert.ok(stopped, 'the reading was given up')
  })

  test('a handler reads the judged bytes a request holds, and leaves its stream unread', async () => {
    const request = new Request('http://f/x', { method: 'POST', body: '{"Image":"stream"}' })
    holdBody(request, encode('{"Image":"held"}'))
    const body = await readJsonBody(request, v.looseObject({ Image: v.string() }), { Image: '' })
    assert.equal(body.Image, 'held')
    assert.equal(request.bodyUsed, false)
  })

  test('an answer the host client read whole goes on as it is, not copied', async () => {
    const host = new Host('h', { kind: 'tcp', host: '127.0.0.1', port: 9 }, {}, {} as RuntimeAdapter)
    const bytes = encode('{"Id":"x"}')
    const kept = withWholeBody(new Response(bytes, { status: 201 }), bytes)
    assert.equal(await host.whole(kept), kept)
  })

  test('an answer with no body (204) read whole stays an answer with no body', async () => {
    const host = new Host('h', { kind: 'tcp', host: '127.0.0.1', port: 9 }, {}, {} as RuntimeAdapter)
    const streamed = new Response(new ReadableStream({ start: (c) => c.close() }), { status: 200 })
    const empty = await host.whole(new Response(null, { status: 204, headers: { 'x-a': '1' } }))
    assert.equal(empty.status, 204)
    assert.equal(empty.headers.get('x-a'), '1')
    assert.equal(await (await host.whole(streamed)).text(), '')
  })
})

describe('a create served with the body off the connection', () => {
  let app: FlockerApp
  let stop: () => Promise<void>
  const seen: unknown[] = []
  before(async () => {
    ;({ app, stop } = await startFakeFlock(2, () => {}, {
      hooks: { map: (_name, body) => void seen.push(body.Image) },
    }))
    await app.checkHosts()
  })
  after(() => stop())

  test('the front door judges and hands on the chunks the server read, not the Request stream', async () => {
    const text = JSON.stringify({ Image: 'busybox:local', Cmd: ['true'] })
    const request = new Request('http://f/v1.41/containers/create?name=off-the-wire', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(text.length) },
    })
    const answer = await app.fetch(request, { client: { address: '127.0.0.1' }, bodyChunks: chunks(text) })
    assert.equal(answer.status, 201, await answer.clone().text())
    assert.match(await answer.text(), /"Id":"[0-9a-f]{64}"/)
    assert.deepEqual(seen, ['busybox:local'])
  })
})
