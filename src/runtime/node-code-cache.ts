/**
 * Node's start (`npm start`, `npx flocker`) from a V8 code cache. Node 20 compiles an ES module from
 * its source at every start (no `module.enableCompileCache` before 22.1) and the bundle's compile was
 * the largest share of a start. dist/bin/flocker.js runs the CommonJS bundle beside it through
 * `vm.Script` with the bytecode V8 made on an earlier run, and writes that cache once when it is
 * missing or not usable.
 *
 * A cache is used only when its first line names this very build (a hash of the bundle), the Node
 * version and the architecture: V8's own check is by source length only, and it must never run code
 * compiled from another bundle. V8 then checks its version and flags and may still reject it; a
 * rejected or missing cache means a start compiled from source, as without any cache. The cache is
 * written beside the bundle (never in a shared directory): whoever can write it can already write
 * the bundle itself. Where that directory is read-only every start compiles from source.
 */
import { Buffer } from 'node:buffer'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

/** What became of the cache at this start. */
export type CodeCacheState = 'used' | 'absent' | 'foreign' | 'rejected'

export interface CodeCacheOptions {
  /** Identifies the bundle's build (a hash of its text): a cache made from another is not used. */
  readonly key: string
  /** Where the cache lives (default: the bundle's path + `.cache`). */
  readonly cacheFile?: string
  /**
   * Writes a missing or unusable cache this long after the start (ms), so that it holds the code
   * compiled while starting and answering the first requests, or at exit if that comes first. The
   * timer does not keep the process alive.
   */
  readonly writeAfter?: number
}

export interface CodeCacheRun {
  readonly state: CodeCacheState
  /** Resolves once a cache was written (true), or not (false: nothing to write, or not writable). */
  readonly written: Promise<boolean>
}

/** Runs the CommonJS file `bundle` (a path or file: URL) in this context, from its code cache if usable. */
export function runWithCodeCache(bundle: string | URL, options: CodeCacheOptions): CodeCacheRun {
  const filename = typeof bundle === 'string' ? bundle : fileURLToPath(bundle)
  const cacheFile = options.cacheFile ?? `${filename}.cache`
  const header = Buffer.from(`flocker code cache ${options.key} ${process.version} ${process.arch}\n`)
  const cache = readCache(cacheFile, header)
  const script = new vm.Script(wrap(readFileSync(filename, 'utf8')), {
    filename,
    cachedData: cache ?? undefined,
  })
  const state: CodeCacheState = cache === undefined
    ? 'absent'
    : cache === null
    ? 'foreign'
    : script.cachedDataRejected
    ? 'rejected'
    : 'used'
  const written = state === 'used'
    ? Promise.resolve(false)
    : writeLater(script, header, cacheFile, options.writeAfter)
  const module = { exports: {} }
  const run = script.runInThisContext() as CommonJsWrapper
  run(module.exports, createRequire(filename), module, filename, dirname(filename))
  return { state, written }
}

type CommonJsWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void

/** The function Node itself wraps a CommonJS file in (one line, so line numbers stay as they are). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`
}

/** The V8 data after the header; undefined when there is no cache, null when it is another build's. */
function readCache(file: string, header: Buffer): Buffer | null | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    return undefined
  }
  const ours = bytes.length > header.length && bytes.subarray(0, header.length).equals(header)
  return ours ? bytes.subarray(header.length) : null
}

function writeLater(script: vm.Script, header: Buffer, file: string, delay = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const write = () => {
      clearTimeout(timer)
      process.off('exit', write)
      resolve(writeCache(script, header, file))
    }
    const timer = setTimeout(write, delay).unref()
    process.once('exit', write)
  })
}

function writeCache(script: vm.Script, header: Buffer, file: string): boolean {
  // Written aside and renamed: a start running at the same time reads a whole cache or none.
  const aside = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(aside, Buffer.concat([header, script.createCachedData()]), { mode: 0o644 })
    renameSync(aside, file)
    return true
  } catch {
    rmSync(aside, { force: true })
    return false
  }
}
