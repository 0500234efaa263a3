import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { honoPattern, routes } from '../../src/routes/table.ts'

/** Paths and methods of the Engine API spec, read from the YAML without a YAML parser. */
function specEndpoints(file: string): string[] {
  const text = readFileSync(
    new URL(`../../../shared/reference/docker-engine-api/${file}`, import.meta.url),
    'utf8',
  )
  const paths = text.slice(text.indexOf('\npaths:'))
  const out: string[] = []
  let current = ''
  for (const line of paths.split('\n')) {
    const path = /^ {2}(\/\S*):\s*$/.exec(line)
    if (path) current = path[1]!
    const method = /^ {4}(get|post|put|delete|head):\s*$/.exec(line)
    if (method && current) out.push(`${method[1]!.toUpperCase()} ${current}`)
  }
  return out
}

const canonical = (path: string) => path.replace(/\{\w+\*?\}/g, '{}')
const table = new Set(routes.map((route) => `${route.method} ${canonical(route.path)}`))

test('the route table says what flocker does with every endpoint of API v1.41', () => {
  const missing = specEndpoints('v1.41.yaml').filter((e) => !table.has(e.replace(/\{\w+\}/g, '{}')))
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
