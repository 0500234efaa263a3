import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DockerError } from '../../src/docker/errors.ts'
import { identify } from '../../src/front-door/identity.ts'
import { bearerToken, constantTimeEqual, hashToken, TokenStore } from '../../src/front-door/tokens.ts'

const status = async (promise: Promise<unknown>) => {
  try {
    await promise
    return 200
  } catch (error) {
    assert.ok(error instanceof DockerError)
    return error.status
  }
}

describe('tokens', async () => {
  const store = new TokenStore([
    { identity: 'ci', sha256: await hashToken('s3cret-ci') },
    { identity: 'alice', sha256: await hashToken('s3cret-alice') },
  ])
  test('the config holds a SHA-256, and each token names its identity', async () => {
    assert.match(await hashToken('x'), /^sha256:[0-9a-f]{64}$/)
    assert.equal(await store.identify('s3cret-ci'), 'ci')
    assert.equal(await store.identify('s3cret-alice'), 'alice')
    assert.equal(await store.identify('s3cret'), undefined)
  })
  test('a malformed hash in the config is refused at load', () => {
    assert.throws(() => new TokenStore([{ identity: 'x', sha256: 'plain-token' }]), /sha256/)
  })
  test('Bearer header parsing', () => {
    assert.equal(bearerToken(new Headers({ authorization: 'Bearer abc' })), 'abc')
    assert.equal(bearerToken(new Headers({ authorization: 'bearer  abc ' })), 'abc')
    assert.equal(bearerToken(new Headers({ authorization: 'Basic abc' })), null)
    assert.equal(bearerToken(new Headers()), undefined)
  })
  test('constant-time comparison', () => {
    assert.ok(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])))
    assert.ok(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])))
    assert.ok(!constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 3])))
  })

  test('identity: certificate, then token, then the auth hook', async () => {
    const rules = { tokens: store, requireIdentity: true }
    assert.deepEqual(await identify(new Headers(), { certificateName: 'bob' }, rules), {
      name: 'bob',
      via: 'tls',
    })
    const withToken = new Headers({ authorization: 'Bearer s3cret-ci' })
    assert.deepEqual(await identify(withToken, {}, rules), { name: 'ci', via: 'token' })
    assert.equal(await status(identify(new Headers(), {}, rules)), 401)
    assert.equal(await status(identify(new Headers({ authorization: 'Bearer nope' }), {}, rules)), 401)
    assert.equal(await status(identify(new Headers({ authorization: 'Basic x' }), {}, rules)), 401)
    const hooked = {
      ...rules,
      auth: ({ headers }: { headers: Headers }) => headers.get('x-user') ?? undefined,
    }
    assert.deepEqual(await identify(new Headers({ 'x-user': 'carol' }), {}, hooked), {
      name: 'carol',
      via: 'hook',
    })
    assert.equal(await status(identify(new Headers(), {}, { ...rules, auth: () => null })), 401)
    assert.equal(
      await status(identify(new Headers(), {}, {
        ...rules,
        auth: () => {
          throw new Error('db down')
        },
      })),
      401,
    )
  })
  test('without tokens or hooks, callers are anonymous', async () => {
    assert.deepEqual(await identify(new Headers(), { address: '127.0.0.1' }, { requireIdentity: false }), {
      name: 'anonymous',
      via: 'anonymous',
    })
  })
})
