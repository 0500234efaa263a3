import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DockerError, errorResponse, hostUnreachable } from '../../src/docker/errors.ts'
import { type DoorRoute, FrontDoor } from '../../src/front-door/door.ts'
import { hashToken } from '../../src/front-door/tokens.ts'

const create: DoorRoute = { method: 'POST', path: '/containers/create', hijacked: false, json: true }
const attach: DoorRoute = { method: 'POST', path: '/containers/{id}/attach', hijacked: true, json: false }
const exportRoute: DoorRoute = {
  method: 'GET',
  path: '/containers/{id}/export',
  hijacked: false,
  json: false,
}

const bodyOf = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text))
      controller.close()
    },
  })

const status = async (promise: Promise<unknown>) => {
  try {
    await promise
    return 200
  } catch (error) {
    assert.ok(error instanceof DockerError, String(error))
    return error.status
  }
}

describe('the front door', async () => {
  const door = new FrontDoor({
    tokens: [{ identity: 'ci', sha256: await hashToken('t0ken') }],
    policy: { identities: { ci: { groups: { containers: 'write' } } } },
  })
  const json = { 'content-type': 'application/json', host: 'localhost' }

  test('admission: target, browser marks, identity', async () => {
    const token = { authorization: 'Bearer t0ken', host: 'localhost' }
    const passage = await door.admit(new Headers(token), '/v1.41/containers/json', '', {})
    assert.equal(passage.identity.name, 'ci')
    assert.equal(passage.target.versionPrefix, '/v1.41')
    assert.equal(await status(door.admit(new Headers(token), '/v1.41.0/containers/create', '', {})), 400)
    assert.equal(
      await status(door.admit(new Headers({ ...token, origin: 'https://evil' }), '/_ping', '', {})),
      403,
    )
    assert.equal(await status(door.admit(new Headers({ host: 'localhost' }), '/_ping', '', {})), 401)
  })

  test('the body is judged as dockerd reads it, then sent on canonical', async () => {
    const passage = await door.admit(
      new Headers({ authorization: 'Bearer t0ken' }),
      '/containers/create',
      '',
      {},
    )
    const pass = (text: string, headers: Record<string, string> = json) =>
      door.pass(passage, create, {
        headers: new Headers({ ...headers, 'content-length': String(text.length) }),
        body: bodyOf(text),
        params: {},
        query: new URLSearchParams(),
      })
    const bytes = await pass('{"image":"busybox","hostconfig":{"Memory":1}}')
    assert.equal(new TextDecoder().decode(bytes), '{"Image":"busybox","HostConfig":{"Memory":1}}')
    assert.equal(await status(pass('{"HostConfig":{"privileged":true}}')), 403)
    assert.equal(passage.route, 'POST /containers/create')
    assert.equal(await status(pass('{"Privileged":false,"PRIVILEGED":true}')), 400)
    assert.equal(await status(pass('{"Image":"x"}', { 'content-type': 'text/plain;charset=UTF-8' })), 400)
  })

  test('Upgrade only on hijack routes, with a small body and no chunking', async () => {
    const passage = await door.admit(
      new Headers({ authorization: 'Bearer t0ken' }),
      '/containers/x/export',
      '',
      {},
    )
    const ask = (route: DoorRoute, headers: Record<string, string>) =>
      door.pass(passage, route, {
        headers: new Headers(headers),
        body: null,
        params: {},
        query: new URLSearchParams(),
      })
    assert.equal(await status(ask(exportRoute, { upgrade: 'tcp', connection: 'Upgrade' })), 400)
    assert.equal(
      await status(ask(attach, { upgrade: 'tcp', 'content-length': String(96 * 1024 * 1024) })),
      413,
    )
    assert.equal(await status(ask(attach, { upgrade: 'tcp', 'transfer-encoding': 'chunked' })), 400)
    assert.equal(await status(ask(attach, { upgrade: 'tcp', 'content-length': '0' })), 200)
  })

  test('the authorize hook sees identity, route and body, and can refuse', async () => {
    const seen: unknown[] = []
    const hooked = new FrontDoor({
      authorize: ({ identity, route, body }) => {
        seen.push([identity.name, route.group, route.access, body])
        return (body as { Image?: string } | undefined)?.Image === 'evil' ? 'no evil images' : undefined
      },
    })
    const passage = await hooked.admit(new Headers({ host: 'localhost' }), '/containers/create', '', {})
    const pass = (text: string) =>
      hooked.pass(passage, create, {
        headers: new Headers({ ...json, 'content-length': String(text.length) }),
        body: bodyOf(text),
        params: {},
        query: new URLSearchParams(),
      })
    await pass('{"image":"good"}')
    await assert.rejects(pass('{"Image":"evil"}'), /denied: no evil images/)
    assert.deepEqual(seen[0], ['anonymous', 'containers', 'write', { Image: 'good' }])
  })

  test('errors: callers who are not admins see no addresses or exception text', async () => {
    const passage = await door.admit(new Headers({ authorization: 'Bearer t0ken' }), '/_ping', '', {})
    const hosts = [{ name: 'node1', address: '10.0.0.1:2375' }]
    assert.deepEqual(
      door.errorMessage(
        new DockerError(502, 'flocker: host node1 did not answer: connect ECONNREFUSED 10.0.0.1:2375'),
        passage,
        hosts,
      ),
      { status: 502, message: 'flocker: host node1 did not answer: unreachable' },
    )
    assert.equal(
      door.errorMessage(new Error('connect ECONNREFUSED 10.0.0.1:2375'), passage, hosts).message,
      'flocker: unreachable',
    )
  })
})

describe('answers for callers who are not admins', () => {
  const policyDoor = new FrontDoor({ policy: { identities: { root: { admin: true } } } })
  const hosts = [{ name: 'node1', address: '10.0.0.1:2375' }]

  test('internal exceptions are not shown; plain errors (hooks) are, without addresses', async () => {
    const passage = await policyDoor.admit(new Headers({ host: 'localhost' }), '/_ping', '', {})
    assert.match(
      policyDoor.errorMessage(
        new TypeError("Cannot read properties of undefined (reading 'x')"),
        passage,
        hosts,
      )
        .message,
      /internal error \(the log has the detail\)/,
    )
    const system = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:2375'), { code: 'ECONNREFUSED' })
    assert.doesNotMatch(policyDoor.errorMessage(system, passage, hosts).message, /ECONN|10\.0/)
    assert.equal(
      policyDoor.errorMessage(new Error('names must start with web-'), passage, hosts).message,
      'flocker: names must start with web-',
    )
  })

  test("a DockerError's public message is what they read; handler-built answers too", async () => {
    const passage = await policyDoor.admit(new Headers({ host: 'localhost' }), '/_ping', '', {})
    const unreachable = hostUnreachable('node1', new Error('socket hang up'))
    assert.equal(
      policyDoor.errorMessage(unreachable, passage, hosts).message,
      'flocker: host node1 did not answer',
    )
    const built = errorResponse(503, 'no host (node1: connect ECONNREFUSED 10.0.0.1:2375)', {
      'X-Flocker-Missing-Hosts': 'node1 (connect ECONNREFUSED 10.0.0.1:2375); node2 (unhealthy: x)',
    }, 'no host (node1: unhealthy)')
    const answer = await policyDoor.publicAnswer(built, passage, hosts)
    assert.deepEqual(await answer.json(), { message: 'no host (node1: unhealthy)' })
    assert.equal(answer.headers.get('x-flocker-missing-hosts'), 'node1 (no answer); node2 (unhealthy)')
    const engine = new Response('{"message":"No such container: web"}', { status: 404 })
    assert.equal(await policyDoor.publicAnswer(engine, passage, hosts), engine, "an engine's answer passes")
  })

  test('the hijack cap is per identity and freed by release', async () => {
    const capped = new FrontDoor({ limits: { hijacksPerIdentity: 1 } })
    const passage = await capped.admit(new Headers({ host: 'localhost' }), '/_ping', '', {})
    const release = capped.holdHijack(passage)
    assert.throws(() => capped.holdHijack(passage), (error: DockerError) => error.status === 429)
    release()
    assert.equal(capped.hijacksOf('anonymous'), 0)
    capped.holdHijack(passage)()
  })
})
