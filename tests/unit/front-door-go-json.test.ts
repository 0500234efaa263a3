import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { DockerError } from '../../src/docker/errors.ts'
import { foldKey, parseGoJson } from '../../src/front-door/go-json.ts'

const status = (text: string) => {
  try {
    parseGoJson(text)
    return 200
  } catch (error) {
    assert.ok(error instanceof DockerError)
    return error.status
  }
}

describe('JSON as dockerd reads it', () => {
  test('keys are rewritten to their canonical spelling, at every level', () => {
    assert.deepEqual(parseGoJson('{"image":"x","hostconfig":{"PRIVILEGED":true,"binds":["/:/h"]}}'), {
      Image: 'x',
      HostConfig: { Privileged: true, Binds: ['/:/h'] },
    })
    assert.deepEqual(parseGoJson('{"HostConfig":{"Mounts":[{"type":"bind","source":"/"}]}}'), {
      HostConfig: { Mounts: [{ Type: 'bind', Source: '/' }] },
    })
  })

  test('Go folds the Kelvin sign into k and the long s into s', () => {
    assert.equal(foldKey('NetworK\u212aMode'), 'networkkmode')
    assert.deepEqual(parseGoJson('{"HostConfig":{"Bind\u017f":["/:/h"]}}'), {
      HostConfig: { Binds: ['/:/h'] },
    })
    assert.deepEqual(parseGoJson('{"HostConfig":{"Networ\u212aMode":"host"}}'), {
      HostConfig: { NetworkMode: 'host' },
    })
  })

  test('duplicate and case-variant keys are refused with 400', () => {
    assert.equal(status('{"Privileged":false,"PRIVILEGED":true}'), 400)
    assert.equal(status('{"Privileged":false,"Privileged":true}'), 400)
    assert.equal(status('{"HostConfig":{"Binds":[],"Bind\u017f":["/:/h"]}}'), 400)
    assert.equal(status('{"Priv\\u0069leged":true,"privileged":false}'), 400)
  })

  test('map keys are free: case-variants differ, exact duplicates are refused', () => {
    assert.deepEqual(parseGoJson('{"Labels":{"a":"1","A":"2"}}'), { Labels: { a: '1', A: '2' } })
    assert.equal(status('{"Labels":{"a":"1","a":"2"}}'), 400)
    assert.deepEqual(parseGoJson('{"HostConfig":{"PortBindings":{"80/tcp":[{"hostport":"8080"}]}}}'), {
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
    })
  })

  test('trailing data, bad syntax and deep nesting are 400, never a crash', () => {
    assert.equal(status('{"Image":"x"}{"HostConfig":{"Privileged":true}}'), 400)
    assert.equal(status('{"a":'), 400)
    assert.equal(status('['.repeat(100_000)), 400)
    assert.equal(status('"\\x"'), 400)
    assert.equal(status(' {} '), 200)
  })

  test('unknown keys and __proto__ pass through as plain data', () => {
    const parsed = parseGoJson('{"__proto__":{"x":1},"Custom":2}') as Record<string, unknown>
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'Custom'])
    assert.equal(({} as Record<string, unknown>).x, undefined)
  })
})

/** Go's reading of one struct field: the last key that folds to its name. */
function goField(pairs: readonly [string, unknown][], name: string): unknown {
  let found: unknown
  for (const [key, value] of pairs) if (foldKey(key) === foldKey(name)) found = value
  return found
}

const privilegedKey = fc.constantFrom(
  'Privileged',
  'privileged',
  'PRIVILEGED',
  'PrivilegeD',
  'Priv\u0130leged',
)
const otherKey = fc.constantFrom('Image', 'image', 'Cmd', 'Labels', 'x', 'Bind\u017f', 'Binds')
const pairs = fc.array(
  fc.tuple(fc.oneof(privilegedKey, otherKey), fc.oneof(fc.boolean(), fc.constant(null), fc.integer())),
  { maxLength: 6 },
)

describe('JSON as dockerd reads it, fuzzed', () => {
  test('accepted bodies mean to flocker exactly what they mean to Go', () => {
    fc.assert(
      fc.property(pairs, (list) => {
        const text = `{${list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
        let parsed: Record<string, unknown>
        try {
          parsed = parseGoJson(text) as Record<string, unknown>
        } catch (error) {
          assert.ok(error instanceof DockerError && error.status === 400)
          // Refused only when two keys fold together.
          const folded = list.map(([k]) => foldKey(k))
          assert.notEqual(new Set(folded).size, folded.length)
          return
        }
        for (const name of ['Privileged', 'Image', 'Binds']) {
          assert.deepEqual(parsed[name], goField(list, name))
        }
      }),
      { numRuns: 3000 },
    )
  })

  test('any JSON value without colliding keys round-trips unchanged but for key spelling', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = JSON.stringify(value)
        try {
          const parsed = parseGoJson(text)
          assert.equal(foldKey(JSON.stringify(parsed)), foldKey(text))
        } catch (error) {
          assert.ok(error instanceof DockerError && error.status === 400)
        }
      }),
      { numRuns: 2000 },
    )
  })

  test('arbitrary text never crashes the reader', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        try {
          parseGoJson(text)
        } catch (error) {
          assert.ok(error instanceof DockerError && error.status === 400)
        }
      }),
      { numRuns: 3000 },
    )
  })
})
