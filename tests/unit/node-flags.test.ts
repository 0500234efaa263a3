import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { scriptCommand, V8_FLAGS } from '../support/flocker.ts'

// flocker on Node runs with V8 flags that only the command line can give (scripts/bundle.mjs says
// why): the bin's first lines, `npm start`, and the bench's launcher must carry the same.

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

test('the bin, npm start and the bench run Node with the same heap flags', () => {
  assert.deepEqual(V8_FLAGS, ['--initial-old-space-size=64'])
  const bundleFlags = /const V8_FLAGS = '([^']*)'/.exec(read('scripts/bundle.mjs'))?.[1]
  assert.equal(bundleFlags, V8_FLAGS.join(' '))
  const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start
  assert.equal(start, `node ${V8_FLAGS.join(' ')} dist/bin/flocker.js`)
  // The bench starts flocker, the bare proxy and the tee with them.
  assert.equal(read('bench/procs.ts').match(/\bV8_FLAGS\b/g)?.length, 4)
})

// Deno is V8 too, and its read buffers press the heap the same way: with V8's first limit a few MB above
// flocker's heap, a download brought mark-compacts every few MB, 0.5-1 s of GC helper CPU per GiB more than
// the bare proxy (bench/results/profile.md, "denogap").
test('deno task start and the bench run Deno with the same heap flags', () => {
  const v8Flags = `--v8-flags=${V8_FLAGS.join(',')}`
  const start =
    (JSON.parse(read('deno.json')) as { tasks: { start: { command: string } } }).tasks.start.command
  assert.ok(start.split(' ').includes(v8Flags), start)
  assert.ok(scriptCommand('deno', 'mod.ts', V8_FLAGS)[1].includes(v8Flags))
})
