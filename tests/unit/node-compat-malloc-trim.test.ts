import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'

const FIXTURE = new URL('./fixtures/freed-read-pages.ts', import.meta.url).pathname
const glibc = process.platform === 'linux' &&
  Boolean(
    (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
  )

function pageFaults(mode: 'keep' | 'plain'): { faults: number; pages: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', FIXTURE, mode], {
    encoding: 'utf8',
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

test(
  'reads freed by a collection are reused, not faulted in again (glibc)',
  { skip: !glibc && 'not glibc' },
  () => {
    const { faults, pages } = pageFaults('keep')
    assert.ok(faults < pages / 4, `${faults} page faults over ${pages} pages of reads`)
  },
)
