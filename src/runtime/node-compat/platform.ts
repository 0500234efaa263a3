import * as fs from 'node:fs'
import process from 'node:process'
import type { Platform } from '../types.ts'

/** Process services through node:process and node:fs, which Node, Bun and Deno all provide. */
export const nodePlatform: Platform = {
  args: () => process.argv.slice(2),
  env: (name) => process.env[name],
  exit: (code) => process.exit(code),
  readTextFile: (path) => fs.promises.readFile(path, 'utf8'),
  watchFile(path, onChange) {
    // Polling survives editors that replace the file (rename over it), which fs.watch loses. A change
    // counts once the file has stayed the same for one poll: a write caught half-way (the file
    // truncated, not yet written) would otherwise load as an empty config.
    let last = ''
    let seen = ''
    const stamp = () => fs.promises.stat(path).then((s) => `${s.mtimeMs}:${s.size}:${s.ino}`, () => 'missing')
    void stamp().then((s) => (last = seen = s))
    const timer = setInterval(async () => {
      const now = await stamp()
      const settled = now === seen
      seen = now
      if (settled && now !== last) {
        last = now
        onChange()
      }
    }, 250)
    return () => clearInterval(timer)
  },
  onShutdown(handler) {
    let called = false
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, async () => {
        if (called) return process.exit(130)
        called = true
        await handler()
        process.exit(0)
      })
    }
  },
  stderr: (line) => void process.stderr.write(line + '\n'),
  stdout: (line) => void process.stdout.write(line + '\n'),
}
