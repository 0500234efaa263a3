import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readFilters } from '../../src/docker/filters-json.ts'

test('filters read as dockerd reads them', () => {
  assert.deepEqual(readFilters(null), {})
  assert.deepEqual(readFilters('{"name":{"web":true},"status":{"exited":true}}'), {
    name: ['web'],
    status: ['exited'],
  })
  assert.deepEqual(readFilters('{"name":["web","db"]}'), { name: ['web', 'db'] })
  assert.deepEqual(readFilters('null'), {})
})

test('what dockerd refuses is not read: malformed JSON, a value given as a string, mixed forms', () => {
  for (
    const raw of [
      '{bad',
      '{"name":"web"}',
      '{"name":{"web":"yes"}}',
      '{"a":["x"],"b":{"y":true}}',
      '[]',
      '"x"',
    ]
  ) {
    assert.equal(readFilters(raw), undefined, raw)
  }
})
