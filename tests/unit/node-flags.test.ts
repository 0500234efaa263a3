import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { NODE_FLAGS } from '../support/flocker.ts'

// flocker on Node runs with V8 flags that only the command line can give (scripts/bundle.mjs says
// why): the bin's first lines, `npm start`, and the bench's launcher must carry the same.

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

test('the bin, npm start and the bench run Node with the same heap flags', () => {
  assert.deepEqual(NODE_FLAGS, ['--initial-old-space-size=64'])
  const bundleFlags = /const NODE_FLAGS = '([^']*)'/.exec(read('scripts/bundle.mjs'))?.[1]
  assert.equal(bundleFlags, NODE_FLAGS.join(' '))
  const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start
  assert.equal(start, `node ${NODE_FLAGS.join(' ')} dist/bin/flocker.js`)
  // The bench starts flocker, the bare proxy and the tee with them.
  assert.equal(read('bench/procs.ts').match(/\bNODE_FLAGS\b/g)?.length, 4)
})
