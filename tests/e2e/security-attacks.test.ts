import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import { rawRequest, statusOf } from '../support/raw-http.ts'

// Every attack of issue 9 against a flocker with no settings at all: each is refused, and nothing
// is created on any engine.
const engines = enginesForFile(2, {}, { registry: false })
const PREFIX = 'atk-'

/** Names of every container on every engine, asked of the engines directly. */
async function everyContainer(): Promise<string[]> {
  const lists = await Promise.all(
    engines().engines.map((e) => dockerOk(e.url, ['ps', '-a', '--format', '{{.Names}}'])),
  )
  return lists.flatMap((list) => list.split('\n').filter(Boolean))
}

const create = (name: string) => `POST /v1.41/containers/create?name=${name} HTTP/1.1\r\nHost: 127.0.0.1\r\n`
const PRIVILEGED = JSON.stringify({
  Image: IMAGE,
  Cmd: ['true'],
  HostConfig: { Privileged: true, Binds: ['/:/host'], NetworkMode: 'none' },
})

for (const runtime of runtimes()) {
  describe(`the front door on ${runtime}: attacks refused`, () => {
    let flocker: RunningFlocker
    before(async () => {
      await dockerOk(engines().engines[0]!.url, [
        'create',
        '--name',
        `${PREFIX}web`,
        ...NET,
        IMAGE,
        'sleep',
        '1',
      ])
      flocker = await startFlocker(runtime, engines().engines.map((e) => `--node=${e.flag}`))
    })
    after(async () => {
      for (const engine of engines().engines) await removeContainers(engine.url, PREFIX)
      await flocker?.stop()
    })
    const send = (head: string, body = '') => rawRequest(flocker.port, head, body)

    test("a web page's simple POST (text/plain) is 400, as dockerd answers it", async () => {
      const answer = await send(
        `${
          create('atk-page')
        }Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${PRIVILEGED.length}\r\n\r\n`,
        PRIVILEGED,
      )
      assert.equal(statusOf(answer), 400, answer)
      assert.match(answer, /must be 'application\/json'/)
    })

    test('a request carrying a foreign Origin, or Sec-Fetch-Site cross-site, is 403', async () => {
      const start =
        `POST /v1.41/containers/${PREFIX}web/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n`
      assert.equal(statusOf(await send(`${start}Origin: https://evil.example\r\n\r\n`)), 403)
      assert.equal(statusOf(await send(`${start}Sec-Fetch-Site: cross-site\r\n\r\n`)), 403)
      const state = await dockerOk(flocker.dockerHost, ['inspect', '-f', '{{.State.Status}}', `${PREFIX}web`])
      assert.equal(state.trim(), 'created')
    })

    test("DNS rebinding: a Host that is not flocker's is 403", async () => {
      const answer = await send(`GET /v1.41/containers/json HTTP/1.1\r\nHost: evil.example:2375\r\n\r\n`)
      assert.equal(statusOf(answer), 403)
    })

    test('the table cannot be walked around: odd versions, encoded slashes, unknown paths', async () => {
      for (
        const path of [
          '/v1.41.0/containers/create',
          '/v1.41./containers/create',
          '/v1.41/containers%2Fcreate',
          '/v1.41./plugins/pull',
          '/v1.41.0/swarm/join',
          '/v1.41/containers/create;x=1',
          '/v1.41/images/../containers/create',
        ]
      ) {
        const body = JSON.stringify({ Image: IMAGE, HostConfig: { NetworkMode: 'none' } })
        const answer = await send(
          `POST ${path}?name=${PREFIX}walk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${body.length}\r\n\r\n`,
          body,
        )
        assert.ok([400, 404].includes(statusOf(answer)), `${path}: ${answer}`)
      }
      const unknown = await send(`GET /v1.41/no/such/thing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
      assert.equal(statusOf(unknown), 404)
      assert.match(unknown, /page not found/)
    })

    test('on an Upgrade request the Host header cannot replace the path', async () => {
      const answer = await send(
        `POST /_ping HTTP/1.1\r\nHost: x/v1.41/containers/${PREFIX}web/attach?stream=1&stdin=1&x=\r\n` +
          `Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`,
      )
      assert.notEqual(statusOf(answer), 101, answer)
    })

    test('an Upgrade on a route that does not hijack is refused, without reading the answer whole', async () => {
      const answer = await send(
        `GET /v1.41/containers/${PREFIX}web/export HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
      )
      assert.equal(statusOf(answer), 400, answer)
    })

    test('an Upgrade with a large or chunked body is refused before it is read', async () => {
      const big = await send(
        `POST /v1.41/containers/${PREFIX}web/attach?stream=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n` +
          `Upgrade: tcp\r\nContent-Length: ${96 * 1024 * 1024}\r\n\r\n`,
        'x'.repeat(1024),
      )
      assert.equal(statusOf(big), 413, big)
      const chunked = await send(
        `POST /v1.41/containers/${PREFIX}web/attach?stream=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n` +
          `Upgrade: tcp\r\nTransfer-Encoding: chunked\r\n\r\n6000000\r\n`,
        'x'.repeat(8 * 1024),
      )
      assert.equal(statusOf(chunked), 413, chunked)
    })

    test("an Upgrade with an empty chunked body (docker-modem's every hijack) is let through", async () => {
      const answer = await send(
        `POST /v1.41/containers/${PREFIX}web/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Connection: Upgrade\r\nUpgrade: tcp\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      )
      assert.equal(statusOf(answer), 101, answer)
    })

    test('JSON keys dockerd would read differently are refused: case variants, duplicates', async () => {
      for (
        const body of [
          `{"Image":"${IMAGE}","HostConfig":{"Privileged":false,"PRIVILEGED":true,"NetworkMode":"none"}}`,
          `{"Image":"${IMAGE}","Image":"${IMAGE}"}`,
          `{"Image":"${IMAGE}","image":"${IMAGE}"}`,
        ]
      ) {
        const answer = await send(
          `${create(`${PREFIX}dup`)}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
          body,
        )
        assert.equal(statusOf(answer), 400, answer)
        assert.match(answer, /duplicate key/)
      }
    })

    test('a JSON body past the cap is 413, answered before a byte of it is read', async () => {
      // Only the head is sent: the answer must come from the declared length alone.
      const answer = await send(
        `${create(`${PREFIX}big`)}Content-Type: application/json\r\nContent-Length: ${
          5 * 1024 * 1024
        }\r\n\r\n`,
      )
      assert.equal(statusOf(answer), 413, answer.slice(0, 200))
    })

    test('a placement regex that backtracks exponentially in JavaScript answers (RE2)', async () => {
      const result = await docker(flocker.dockerHost, [
        'create',
        '--name',
        `${PREFIX}${'a'.repeat(40)}`,
        '-e',
        'affinity:container!=/^(a|aa)+$/',
        ...NET,
        IMAGE,
      ])
      assert.equal(result.code, 0, result.err)
    })

    test('nothing was created on any engine by the refused requests', async () => {
      const names = await everyContainer()
      assert.deepEqual(names.filter((n) => n.startsWith(PREFIX)).sort(), [
        `${PREFIX}${'a'.repeat(40)}`,
        `${PREFIX}web`,
      ])
    })
  })
}
