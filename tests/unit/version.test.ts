import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { FLOCKER_VERSION } from '../../src/version.ts'

const versionIn = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')).version

test('package.json and deno.json carry the version of src/version.ts', () => {
  assert.equal(versionIn('package.json'), FLOCKER_VERSION)
  assert.equal(versionIn('deno.json'), FLOCKER_VERSION)
})
