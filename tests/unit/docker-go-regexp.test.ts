import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { goMatches, goRegexp, MAX_CLIENT_PATTERN } from '../../src/docker/go-regexp.ts'
import { hostFilters } from '../../src/flock/host-filters.ts'
import type { Host } from '../../src/flock/host.ts'
import { cachedListQuery } from '../../src/cache/container-filters.ts'
import { loadRe2 } from '../../src/docker/re2.ts'

// re2js loads after start-up (the app waits for it); these tests call the matchers directly.
await loadRe2()

describe('client regexes run as Go runs them (RE2)', () => {
  test('a name filter that backtracks exponentially in JavaScript answers at once', () => {
    // (a+)+$ against 40 a's and a b: years on a backtracking engine, linear on RE2.
    const regex = goRegexp('(a+)+$')!
    assert.equal(goMatches(regex, 'a'.repeat(40) + 'b'), false)
    assert.equal(goMatches(regex, 'a'.repeat(40)), true)
  })

  test('find anywhere, Go syntax; invalid patterns are skipped; long ones refused', () => {
    assert.equal(goMatches(goRegexp('^we')!, 'web'), true)
    assert.equal(goMatches(goRegexp('b$')!, 'web'), true)
    assert.equal(goMatches(goRegexp('^x')!, 'web'), false)
    assert.equal(goRegexp('(unclosed'), undefined)
    assert.throws(() => goRegexp('a'.repeat(MAX_CLIENT_PATTERN + 1)), /longer than/)
  })

  test('a qualified name filter (web@node1) runs its pattern on RE2', () => {
    const filters = hostFilters(
      new URLSearchParams({ filters: JSON.stringify({ name: { ['(x+x+)+y@node1']: true } }) }),
      (name) => name === 'node1',
    )
    assert.equal(filters.byHostName, true)
    const node1 = { name: 'node1' } as Host
    assert.equal(filters.keepNamed(node1, ['/' + 'x'.repeat(5000)]), false)
    assert.equal(filters.keepNamed(node1, ['/xxy']), true)
  })

  test('the list cache answers name and id filters with RE2, and leaves long patterns to the engines', () => {
    const query = cachedListQuery(new URLSearchParams(), { name: ['(x+x+)+y'] })!
    const row = { name: '/' + 'x'.repeat(5000), id: 'a'.repeat(64) }
    assert.equal(query.match(row as Parameters<typeof query.match>[0]), false)
    assert.equal(
      cachedListQuery(new URLSearchParams(), { name: ['a'.repeat(MAX_CLIENT_PATTERN + 1)] }),
      undefined,
    )
  })
})
