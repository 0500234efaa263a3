import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DockerError } from '../../src/docker/errors.ts'
import { fillPath } from '../../src/docker/path.ts'

test('every value is encoded; {name*} keeps its slashes, : and @ stay', () => {
  assert.equal(fillPath('/containers/{id}/json', { id: 'a?b#c/d' }), '/containers/a%3Fb%23c%2Fd/json')
  assert.equal(
    fillPath('/images/{name*}/json', { name: 'reg:5000/a b/c@sha256:1' }),
    '/images/reg:5000/a%20b/c@sha256:1/json',
  )
})

test('a dot segment is refused (a URL parser would make it another path)', () => {
  for (const value of ['..', '.']) {
    assert.throws(
      () => fillPath('/volumes/{name}', { name: value }),
      (e) => e instanceof DockerError && e.status === 400,
    )
  }
  assert.throws(() => fillPath('/images/{name*}/json', { name: 'a/../../containers/x' }), DockerError)
})
