import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { expressionsFromLabels, matchesPattern, parseExpression } from '../../src/schedule/expressions.ts'
import { loadRe2 } from '../../src/docker/re2.ts'

// re2js loads after start-up (the app waits for it); these tests call the matchers directly.
await loadRe2()

describe('expressions', () => {
  test('parse ==, !=, soft ~', () => {
    assert.deepEqual(parseExpression('constraint:region==eu'), {
      kind: 'constraint',
      key: 'region',
      negate: false,
      soft: false,
      value: 'eu',
      text: 'constraint:region==eu',
    })
    const soft = parseExpression('affinity:container!=~db')
    assert.equal(soft.negate, true)
    assert.equal(soft.soft, true)
    assert.equal(soft.value, 'db')
  })
  test('globs ignore case, /regex/ is a regular expression', () => {
    assert.ok(matchesPattern('us-*', 'US-east'))
    assert.ok(!matchesPattern('us-*', 'eu'))
    assert.ok(matchesPattern('node?', 'node1'))
    assert.ok(matchesPattern('/^(eu|ap)$/', 'ap'))
    assert.ok(!matchesPattern('/^(eu|ap)$/', 'us'))
  })
  test('bad expressions are 400s that say how to write them', () => {
    assert.throws(() => parseExpression('constraint:region=eu'), /constraint:KEY==VALUE/)
    assert.throws(() => parseExpression('affinity:volume==x'), /unknown affinity/)
  })
  test('labels: swarm JSON list and constraint: labels', () => {
    const found = expressionsFromLabels({
      'com.docker.swarm.constraints': '["region==eu","disk!=hdd"]',
      'constraint:node': '=node2',
      other: 'x',
    })
    assert.deepEqual(found.map((e) => e.text), [
      'constraint:region==eu',
      'constraint:disk!=hdd',
      'constraint:node==node2',
    ])
  })
})
