import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TrieRouter } from 'hono/router/trie-router'
import { KeptMatches } from '../../src/routes/kept-matches.ts'

test('a path matched again gets the match found the first time, by method', () => {
  const router = new KeptMatches(new TrieRouter<string>())
  router.add('GET', '/containers/json', 'list')
  router.add('GET', '/containers/:id/json', 'inspect')
  router.add('POST', '/containers/:id/start', 'start')
  const first = router.match('GET', '/containers/abc/json')
  assert.equal(router.match('GET', '/containers/abc/json'), first)
  assert.deepEqual(first[0].map(([handler, params]) => [handler, params]), [[
    'inspect',
    Object.assign(Object.create(null), { id: 'abc' }),
  ]])
  assert.deepEqual(router.match('GET', '/containers/json')[0].map(([handler]) => handler), ['list'])
  assert.deepEqual(router.match('POST', '/containers/abc/json')[0], [])
  assert.equal(router.match('GET', '/containers/xyz/json')[0][0]![1].id, 'xyz')
})

test('bounded: past its size the matches are found afresh, and found the same', () => {
  const router = new KeptMatches(new TrieRouter<string>())
  router.add('GET', '/containers/:id/json', 'inspect')
  const first = router.match('GET', '/containers/c0/json')
  for (let i = 1; i <= 1100; i++) router.match('GET', `/containers/c${i}/json`)
  const again = router.match('GET', '/containers/c0/json')
  assert.notEqual(again, first)
  assert.equal(again[0][0]![1].id, 'c0')
})
