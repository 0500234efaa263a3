import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { honoPattern, routes } from '../../src/routes/table.ts'

/** `METHOD /path` for every endpoint of the v1.41 spec (extracted once into a fixture). */
const specEndpoints = readFileSync(
  new URL('../fixtures/engine-api-v1.41-endpoints.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line && !line.startsWith('#'))

const canonical = (path: string) => path.replace(/\{\w+\*?\}/g, '{}')
const table = new Set(routes.map((route) => `${route.method} ${canonical(route.path)}`))

test('the route table says what flocker does with every endpoint of API v1.41', () => {
  const missing = specEndpoints.filter((endpoint) => !table.has(canonical(endpoint)))
  assert.deepEqual(missing, [])
})

test('no endpoint is listed twice', () => {
  const seen = routes.map((route) => `${route.method} ${canonical(route.path)}`)
  assert.equal(new Set(seen).size, seen.length)
})

test('image names may hold slashes, other parameters may not', () => {
  assert.equal(honoPattern('/images/{name*}/json'), '/images/:name{.+}/json')
  assert.equal(honoPattern('/containers/{id}/json'), '/containers/:id/json')
})
