import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { DockerError } from '../../src/docker/errors.ts'
import { auditLine } from '../../src/front-door/audit.ts'
import { forwardHeaders, isForwardedHeader } from '../../src/front-door/forward-headers.ts'
import { checkDeclaredLength, KeyedCounter, readCapped } from '../../src/front-door/limits.ts'
import { checkListenLocks } from '../../src/front-door/listener.ts'
import { redactMessage } from '../../src/front-door/public-errors.ts'
import {
  ownedBy,
  parseFilters,
  TENANT_LABEL,
  withOwner,
  withTenantFilter,
} from '../../src/front-door/tenants.ts'
import { matchesPattern } from '../../src/schedule/expressions.ts'
import { loadRe2 } from '../../src/docker/re2.ts'

// re2js loads after start-up (the app waits for it); these tests call the matchers directly.
await loadRe2()

describe('headers to the engines', () => {
  test("only the allowlist goes on; X-Forwarded-For is flocker's", () => {
    const out = forwardHeaders(
      new Headers({
        authorization: 'Bearer t',
        'proxy-authorization': 'Basic x',
        cookie: 'a=b',
        'x-forwarded-for': '6.6.6.6',
        'x-registry-auth': 'e30=',
        'content-type': 'application/json',
        'content-length': '2',
        connection: 'x-registry-auth, content-length',
        upgrade: 'tcp',
      }),
      '127.0.0.1',
    )
    assert.deepEqual([...out.entries()], [
      ['content-length', '2'],
      ['content-type', 'application/json'],
      ['x-forwarded-for', '127.0.0.1'],
    ])
  })
  test('hijacked requests get Upgrade: tcp or h2c, nothing else', () => {
    const up = forwardHeaders(new Headers({ upgrade: 'tcp', connection: 'Upgrade' }), undefined, true)
    assert.equal(up.get('upgrade'), 'tcp')
    assert.equal(up.get('connection'), 'Upgrade')
    assert.equal(forwardHeaders(new Headers({ upgrade: 'websocket' }), undefined, true).get('upgrade'), null)
  })
  test('fuzzed header names: nothing outside the allowlist is ever forwarded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z0-9-]{1,20}$/), fc.stringMatching(/^[ -~]{0,20}$/))),
        (pairs) => {
          const headers = new Headers()
          for (const [name, value] of pairs) headers.append(name, value)
          for (const [name] of forwardHeaders(headers, '127.0.0.1')) {
            assert.ok(isForwardedHeader(name) || name === 'x-forwarded-for', name)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})

describe('errors for callers who are not admins', () => {
  test('host addresses and errno text are hidden', () => {
    const hosts = [{ name: 'node1', address: 'tcp://10.0.0.1:2375' }]
    assert.equal(
      redactMessage('flocker: host node1 did not answer: connect ECONNREFUSED 10.0.0.1:2375', { hosts }),
      'flocker: host node1 did not answer: unreachable',
    )
    assert.equal(
      redactMessage('flocker: cannot reach tcp://10.0.0.1:2375', { hosts }),
      'flocker: cannot reach node1',
    )
    assert.equal(redactMessage('No such container: web', { hosts }), 'No such container: web')
  })
})

describe('limits', () => {
  const stream = (...chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    })
  test('a JSON body past the cap is 413; a stalled one 408', async () => {
    assert.equal(new TextDecoder().decode(await readCapped(stream('ab', 'cd'), 4, 1000)), 'abcd')
    await assert.rejects(
      readCapped(stream('ab', 'cde'), 4, 1000),
      (e) => e instanceof DockerError && e.status === 413,
    )
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) })
    await assert.rejects(readCapped(stalled, 4, 20), (e) => e instanceof DockerError && e.status === 408)
    assert.throws(
      () => checkDeclaredLength(new Headers({ 'content-length': '100663296' }), 4096),
      DockerError,
    )
  })
  test('counters per key', () => {
    const counter = new KeyedCounter(2)
    const a = counter.acquire('ci')!
    counter.acquire('ci')!
    assert.equal(counter.acquire('ci'), undefined)
    assert.ok(counter.acquire('other'))
    a()
    a()
    assert.equal(counter.count('ci'), 1)
    assert.ok(counter.acquire('ci'))
  })
})

describe('listener locks', () => {
  const open = [{ kind: 'tcp' as const, host: '0.0.0.0' }]
  const none = { tlsVerify: false, tokens: false, allowInsecureTcp: false }
  test('loopback and unix sockets need no lock', () => {
    assert.deepEqual(
      checkListenLocks(
        [{ kind: 'tcp', host: '127.0.0.1' }, { kind: 'unix' }, { kind: 'tcp', host: '::1' }],
        none,
      ),
      [],
    )
  })
  test('a network address without TLS verification or tokens refuses to start', () => {
    assert.throws(() => checkListenLocks(open, none), /--allow-insecure-tcp/)
    assert.deepEqual(checkListenLocks(open, { ...none, tlsVerify: true }), [])
    assert.deepEqual(checkListenLocks(open, { ...none, tokens: true }), [])
    assert.match(
      checkListenLocks(open, { ...none, allowInsecureTcp: true })[0]!,
      /WARNING.*root on every host/,
    )
  })
})

describe('audit', () => {
  test('one logfmt line', () => {
    assert.equal(
      auditLine({
        identity: 'ci',
        client: '127.0.0.1',
        route: 'POST /containers/create',
        decision: 'denied:privileged',
        status: 403,
      }),
      'audit identity=ci client=127.0.0.1 route="POST /containers/create" decision=denied:privileged status=403',
    )
  })
})

describe('tenants', () => {
  test('the owner label is set and cannot be forged', () => {
    assert.deepEqual(withOwner({ Image: 'x', Labels: { a: '1', [TENANT_LABEL]: 'other' } }, 't1'), {
      Image: 'x',
      Labels: { a: '1', [TENANT_LABEL]: 't1' },
    })
    assert.ok(ownedBy({ [TENANT_LABEL]: 't1' }, 't1'))
    assert.ok(!ownedBy({ [TENANT_LABEL]: 't2' }, 't1'))
    assert.ok(!ownedBy(null, 't1'))
  })
  test("list filters gain the tenant's label, in either filter format", () => {
    const query = withTenantFilter(new URLSearchParams('all=1&filters={"label":{"a=b":true}}'), 't1')
    assert.equal(query.get('all'), '1')
    assert.deepEqual(JSON.parse(query.get('filters')!), { label: ['a=b', `${TENANT_LABEL}=t1`] })
    assert.deepEqual(parseFilters(null), {})
    assert.throws(() => parseFilters('nope'), DockerError)
  })
})

describe('placement patterns run on RE2', () => {
  test('a pattern that backtracks exponentially in JavaScript answers at once', () => {
    assert.equal(matchesPattern('/(a+)+$/', 'a'.repeat(5000) + '!'), false)
    assert.equal(matchesPattern('/^(a|aa)+$/', 'a'.repeat(5000) + '!'), false)
    assert.ok(matchesPattern('/node[12]/', 'xnode1'))
    assert.ok(matchesPattern('us-*', 'US-east'))
    assert.ok(!matchesPattern('a*a*a*a*a*a*a*b', 'a'.repeat(5000)))
  })
  test('long patterns and invalid ones are 400', () => {
    assert.throws(
      () => matchesPattern('/' + 'a'.repeat(300) + '/', 'a'),
      (e) => e instanceof DockerError && e.status === 400,
    )
    assert.throws(() => matchesPattern('/(?=x)/', 'x'), (e) => e instanceof DockerError && e.status === 400)
  })
})
