import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { DockerError } from '../../src/docker/errors.ts'
import { checkTarget, splitTarget } from '../../src/front-door/target.ts'

const refused = (path: string, search = '') => {
  try {
    checkTarget(path, search)
    return false
  } catch (error) {
    assert.ok(error instanceof DockerError, `not a DockerError: ${error}`)
    assert.equal(error.status, 400)
    return true
  }
}

describe('request target', () => {
  test('exactly /vN.N/ is a version prefix', () => {
    assert.deepEqual(checkTarget('/v1.41/containers/json'), {
      versionPrefix: '/v1.41',
      path: '/containers/json',
    })
    assert.deepEqual(checkTarget('/containers/json'), { versionPrefix: '', path: '/containers/json' })
    assert.deepEqual(checkTarget('/version'), { versionPrefix: '', path: '/version' })
  })

  test("the issue's walk-arounds are refused", () => {
    for (
      const path of [
        '/v1.41.0/containers/create',
        '/v1.41./containers/create',
        '/v1/containers/create',
        '/v.41/containers/create',
        '/v1..41/containers/create',
        '/v1.41./plugins/pull',
        '/v1.41.0/swarm/join',
        '/v1.41/containers%2Fcreate',
        '/v1.41/containers%2fcreate',
        '/containers/x%5Cy/json',
        '/containers/x%00/json',
        '/containers/x;a=b/json',
        '/containers/x%3Ba/json',
        '/containers/../containers/create',
        '/containers/%2e%2e/create',
        '/containers//json',
        '/containers\\json',
        '/containers/a%zz/json',
      ]
    ) assert.ok(refused(path), path)
  })

  test('image names, and host/name of containers, networks and volumes, may hold an encoded slash', () => {
    assert.doesNotThrow(() => checkTarget('/v1.41/images/registry.local%2Fml%2Fx/json'))
    assert.doesNotThrow(() => checkTarget('/images/localhost:5000/a/b/json'))
    assert.ok(refused('/images%2Fcreate'))
    assert.ok(refused('/images/a%2F..%2Fb/json'))
    assert.doesNotThrow(() => checkTarget('/volumes/node3%2Fdata'))
    assert.ok(refused('/volumes/a%2Fb/c'.replace('/c', '%2F..')))
    assert.ok(refused('/exec/a%2Fb/json'))
  })

  test('a query Go would refuse is refused', () => {
    assert.ok(refused('/containers/json', '?all=1;x=2'))
    assert.ok(refused('/containers/json', '?all=%zz'))
    assert.doesNotThrow(() => checkTarget('/containers/json', '?all=1&filters=%7B%22a%22%3A1%7D'))
  })

  test('only origin-form targets', () => {
    assert.throws(() => splitTarget('http://x/_ping'), DockerError)
    assert.throws(() => splitTarget('*'), DockerError)
    assert.deepEqual(splitTarget('/a?b=1'), { path: '/a', search: '?b=1' })
  })
})

/** How Go's net/http and gorilla/mux see a path: fully decoded, then cleaned (mux redirects otherwise). */
function goPath(raw: string): string | null {
  try {
    return decodeURIComponent(raw)
  } catch {
    return null
  }
}

function goClean(path: string): string {
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return '/' + out.join('/')
}

const segmentChar = fc.constantFrom(
  'a',
  'b',
  '1',
  '.',
  '-',
  '_',
  ':',
  '@',
  '%',
  '%2F',
  '%2f',
  '%5C',
  '%00',
  '%2e',
  '%3B',
  ';',
  '\\',
  '/',
  '%25',
  'v',
  '~',
)
const rawPath = fc.tuple(
  fc.constantFrom('', '/v1.41', '/v1.41.0', '/v1.', '/v1', '/v10.2'),
  fc.constantFrom('/containers', '/images', '/volumes', '/exec', '/', '/_ping', '/distribution'),
  fc.array(fc.array(segmentChar, { maxLength: 6 }).map((chars) => chars.join('')), { maxLength: 4 }),
).map(([version, base, rest]) => version + base + rest.map((s) => '/' + s).join(''))

describe('request target, fuzzed', () => {
  test('never crashes: accepts, or refuses with a Docker-style 400', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.string({ maxLength: 30 }),
        (path, search) => {
          try {
            checkTarget(path, search)
          } catch (error) {
            assert.ok(error instanceof DockerError && error.status === 400)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  test('what it accepts, Go reads as the same segments Hono routes on', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        let checked
        try {
          checked = checkTarget(raw)
        } catch {
          return
        }
        // The version prefix is dockerd's exact form.
        assert.match(checked.versionPrefix, /^(\/v\d+\.\d+)?$/)
        const decoded = goPath(raw)
        assert.ok(decoded !== null)
        // No dot segments or double slashes for mux to clean (a trailing slash aside).
        assert.equal(goClean(decoded), decoded.replace(/\/$/, '') || '/')
        // The segments Hono sees (split on literal slashes) are the segments Go sees, unless an
        // image name, or a container, network or volume as host/name, holds an encoded slash.
        const honoSegments = raw.split('/').map((s) => decodeURIComponent(s))
        if (!/^(\/v\d+\.\d+)?\/(images|distribution|containers|networks|volumes)\//.test(raw)) {
          assert.deepEqual(decoded.split('/'), honoSegments)
        }
        assert.ok(!decoded.includes('\\') && !decoded.includes(';') && !decoded.includes('\0'))
        // WHATWG URL parsing (what the app's Request holds) keeps the same segments.
        const url = new URL(`http://flocker${raw}`)
        assert.deepEqual(url.pathname.split('/').map((s) => decodeURIComponent(s)), honoSegments)
      }),
      { numRuns: 5000 },
    )
  })
})

describe('the query of a request URL', () => {
  test('is what URL.search gives', async () => {
    const { searchOf } = await import('../../src/front-door/hono.ts')
    for (
      const url of [
        'http://h/containers/json',
        'http://h/containers/json?',
        'http://h/containers/json?all=1&filters=%7B%7D',
        'http://h/images/a/json?x=1#frag',
        'http://h/p?a=b?c',
      ]
    ) assert.equal(searchOf(url), new URL(url).search, url)
  })
})
