import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { runWithCodeCache } from '../../src/runtime/node-code-cache.ts'

const dir = mkdtempSync(join(tmpdir(), 'flocker-code-cache-'))
// The cache is written on a timer that does not hold the process (nor would a test's await).
const holdOpen = setInterval(() => {}, 1000)
after(() => {
  clearInterval(holdOpen)
  rmSync(dir, { recursive: true, force: true })
})

/** What the bundles below report, as the command line's side effects would be. */
const ran: string[] = []
;(globalThis as { codeCacheRan?: (what: string) => void }).codeCacheRan = (what) => ran.push(what)

/** A CommonJS file that reports what it is and that `require` and `module` work in it. */
function bundle(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(
    file,
    `const { join } = require('node:path')\nmodule.exports.ok = true\n` +
      `function answer() { return ${
        JSON.stringify(text)
      } }\nglobalThis.codeCacheRan(answer() + ' ' + typeof join)\n`,
  )
  return file
}

let starts = 0
/**
 * One start of `file` with its cache at `file.cache`. V8 keeps what it compiled per source and file
 * name for the life of the process and would not even read a cache for a name it compiled already:
 * each start runs a fresh copy of the file, as a new process would.
 */
function start(file: string, key: string, cacheFile = `${file}.cache`) {
  const copy = `${file}.${++starts}.cjs`
  writeFileSync(copy, readFileSync(file))
  return runWithCodeCache(copy, { key, writeAfter: 0, cacheFile })
}

test('the first start writes a cache; the next start uses it and runs the same code', async () => {
  const file = bundle('a.cjs', 'first')
  const first = start(file, 'build-1')
  assert.equal(first.state, 'absent')
  assert.equal(await first.written, true)
  assert.match(readFileSync(`${file}.cache`, 'latin1'), /^flocker code cache build-1 v\d+/)
  const second = start(file, 'build-1')
  assert.equal(second.state, 'used')
  assert.equal(await second.written, false, 'a usable cache is not written again')
  assert.deepEqual(ran.splice(0), ['first function', 'first function'])
})

test("another build's cache is not used, even for a file of the same length, and is replaced", async () => {
  const file = bundle('b.cjs', 'old!')
  const old = start(file, 'build-old')
  assert.equal(await old.written, true)
  // The new build has the same length: V8's own check (source length) would take the old bytecode.
  bundle('b.cjs', 'new!')
  const upgraded = start(file, 'build-new')
  assert.equal(upgraded.state, 'foreign')
  assert.equal(await upgraded.written, true)
  assert.equal(start(file, 'build-new').state, 'used')
  assert.deepEqual(ran.splice(0), ['old! function', 'new! function', 'new! function'])
})

test('a damaged cache is rejected by V8: the start compiles from source and writes a good one', async () => {
  const file = bundle('c.cjs', 'damaged')
  assert.equal(await start(file, 'k').written, true)
  const bytes = readFileSync(`${file}.cache`)
  const header = bytes.indexOf(10) + 1
  bytes.fill(0x5a, header, header + 16)
  writeFileSync(`${file}.cache`, bytes)
  const damaged = start(file, 'k')
  assert.equal(damaged.state, 'rejected')
  assert.equal(await damaged.written, true)
  assert.equal(start(file, 'k').state, 'used')
  assert.deepEqual(ran.splice(0), ['damaged function', 'damaged function', 'damaged function'])
})

test('a cache that cannot be written leaves the start as it is', async () => {
  const file = bundle('d.cjs', 'read-only')
  const run = start(file, 'k', join(dir, 'missing-dir', 'x.cache'))
  assert.equal(run.state, 'absent')
  assert.equal(await run.written, false)
  assert.deepEqual(ran.splice(0), ['read-only function'])
})
