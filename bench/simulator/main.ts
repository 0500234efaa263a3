/**
 * Many simulated docker engines in one process, each on its own loopback port.
 *
 *   node --import tsx bench/simulator/main.ts --hosts=100 --containers=100 [--stream-mb=500]
 *
 * Prints one JSON line `{"urls": ["tcp://127.0.0.1:PORT", ...]}` once every engine listens. Reads
 * `stream-mb N` lines on stdin to change the stream size of every engine.
 */
import { createInterface } from 'node:readline'
import { SimEngine } from './engine.ts'

const flags = new Map(
  process.argv.slice(2).map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined]
    return [name, value ?? 'true']
  }),
)
const hosts = Number(flags.get('hosts') ?? 1)
const containers = Number(flags.get('containers') ?? 100)
const streamBytes = Number(flags.get('stream-mb') ?? 100) * 1024 * 1024

const engines: SimEngine[] = []
for (let i = 0; i < hosts; i++) {
  engines.push(await new SimEngine({ name: `sim${i + 1}`, containers, streamBytes }).start())
}
console.log(JSON.stringify({ urls: engines.map((e) => e.url) }))

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(/\s+/)
  if (command === 'stream-mb') {
    for (const e of engines) e.options.streamBytes = Number(value) * 1024 * 1024
  }
})
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
