import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { DockerError } from '../../src/docker/errors.ts'
import { checkOrigin } from '../../src/front-door/origin.ts'
import { checkHostHeader, hostName, isAllowedHost } from '../../src/front-door/host-header.ts'
import { checkJsonContentType, checkNoFormBody, mediaType } from '../../src/front-door/content-type.ts'

const status = (fn: () => void) => {
  try {
    fn()
    return 200
  } catch (error) {
    assert.ok(error instanceof DockerError)
    return error.status
  }
}

describe('Origin and Sec-Fetch-Site', () => {
  const rules = { allowedOrigins: ['https://portainer.example'] }
  test('docker clients send neither and pass', () => {
    assert.equal(status(() => checkOrigin(new Headers(), rules)), 200)
    assert.equal(status(() => checkOrigin(new Headers({ 'sec-fetch-site': 'none' }), rules)), 200)
    assert.equal(status(() => checkOrigin(new Headers({ 'sec-fetch-site': 'same-origin' }), rules)), 200)
  })
  test('a web page is refused with 403 unless its origin is allowed', () => {
    assert.equal(status(() => checkOrigin(new Headers({ origin: 'https://evil.example' }), rules)), 403)
    assert.equal(status(() => checkOrigin(new Headers({ origin: 'null' }), rules)), 403)
    assert.equal(status(() => checkOrigin(new Headers({ 'sec-fetch-site': 'cross-site' }), rules)), 403)
    assert.equal(status(() => checkOrigin(new Headers({ 'sec-fetch-site': 'same-site' }), rules)), 403)
    const allowed = new Headers({ origin: 'https://PORTAINER.example:443', 'sec-fetch-site': 'cross-site' })
    assert.equal(status(() => checkOrigin(allowed, rules)), 200)
    assert.equal(status(() => checkOrigin(new Headers({ origin: 'x' }), { allowedOrigins: ['*'] })), 200)
  })
})

describe('Host allowlist (DNS rebinding)', () => {
  const rules = { allowedHosts: ['flock.example.com'], listenHosts: ['10.0.0.5'] }
  test('loopback names, the unix-socket names, listen hosts and configured names pass', () => {
    for (
      const host of [
        'localhost:2375',
        '127.0.0.1:2375',
        '127.8.9.1',
        '[::1]:2375',
        'api.moby.localhost',
        'docker',
        '10.0.0.5:2376',
        'flock.example.com:2376',
      ]
    ) assert.ok(isAllowedHost(host, rules), host)
  })
  test('anything else is refused with 403', () => {
    for (
      const host of ['evil.example', 'evil.example:2375', '127.0.0.1.evil.example', 'x/v1.41/containers', '']
    ) {
      assert.equal(status(() => checkHostHeader(new Headers({ host }), rules)), 403, host)
    }
    assert.equal(status(() => checkHostHeader(new Headers({ host: 'any' }), { allowedHosts: ['*'] })), 200)
  })
  test('hostName', () => {
    assert.equal(hostName('[::1]:2375'), '::1')
    assert.equal(hostName('Foo.Example:1'), 'foo.example')
    assert.equal(hostName('a b'), null)
  })
  test('fuzzed: never a crash, only allow or 403', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (host) => {
        let headers: Headers
        try {
          headers = new Headers({ host })
        } catch {
          return
        }
        const code = status(() => checkHostHeader(headers, rules))
        assert.ok(code === 200 || code === 403)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('Content-Type as dockerd checks it', () => {
  test('JSON endpoints take application/json, or no type without a body', () => {
    assert.equal(
      status(() => checkJsonContentType(new Headers({ 'content-type': 'application/json' }), true)),
      200,
    )
    const charset = new Headers({ 'content-type': 'Application/JSON; charset=utf-8' })
    assert.equal(status(() => checkJsonContentType(charset, true)), 200)
    assert.equal(status(() => checkJsonContentType(new Headers(), false)), 200)
  })
  test("a browser's simple request types are 400 with dockerd's message", () => {
    const headers = new Headers({ 'content-type': 'text/plain;charset=UTF-8' })
    assert.throws(
      () => checkJsonContentType(headers, true),
      /Content-Type specified \(text\/plain;charset=UTF-8\) must be 'application\/json'/,
    )
    assert.equal(status(() => checkJsonContentType(new Headers(), true)), 400)
    const form = new Headers({ 'content-type': 'application/x-www-form-urlencoded' })
    assert.equal(status(() => checkJsonContentType(form, true)), 400)
    assert.equal(status(() => checkNoFormBody(form)), 400)
    assert.equal(mediaType('application/json, text/plain'), null)
  })
})
