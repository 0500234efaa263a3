/**
 * Where flocker's time goes per small request: runs flocker (and the bare proxy, for the floor) under
 * the runtime's CPU profiler in front of one simulated engine, sends small routed requests, then sums
 * the profile's self time by component and by function into bench/results/profile.md.
 *
 *   node --import tsx bench/profile.ts [--runtimes=node,bun] [--requests=3000]
 *
 * Node and Bun write a .cpuprofile (`--cpu-prof`); Deno has no such flag (only --inspect), so it is
 * not profiled here. `--paths=inspect` (or top, image, comma-separated) profiles some of the three.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { freePort, type RuntimeName, scriptCommand, spawnUntilListening } from '../tests/support/flocker.ts'
import { burstSeconds, call, targetOf } from './http.ts'
import { startSimulator } from './procs.ts'
import { type CpuProfile, summarise } from './cpu-profile.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))

async function profileOne(
  label: string,
  runtime: RuntimeName,
  file: string,
  args: string[],
  port: number,
  paths: string[],
  requests: number,
): Promise<string> {
  const dir = `/tmp/flocker-profile-${process.pid}-${label.replace(/\W+/g, '-')}`
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const [command, base] = scriptCommand(runtime, file)
  const flags = [`--cpu-prof`, `--cpu-prof-dir=${dir}`]
  const full = runtime === 'node' ? [...flags, ...base] : [base[0]!, ...flags, ...base.slice(1)]
  const child = await spawnUntilListening(label, command, [...full, ...args])
  const target = { host: '127.0.0.1', port }
  for (const path of paths) await call(target, 'GET', path)
  const per = Math.round(requests / paths.length)
  for (const path of paths) await burstSeconds(target, path, per, 4)
  await child.stop()
  const file2 = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file2) return `(${label}: no profile written)`
  const profile = JSON.parse(readFileSync(`${dir}/${file2}`, 'utf8')) as CpuProfile
  rmSync(dir, { recursive: true, force: true })
  // Each burst also sends 8 warm-up requests (2 per connection).
  return summarise(profile, per * paths.length + paths.length * (1 + 8))
}

async function main() {
  const flags = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
  const runtimes = (flags.get('runtimes') ?? 'node,bun').split(',') as RuntimeName[]
  const requests = Number(flags.get('requests') ?? 3000)
  const load = loadavg().map((n) => n.toFixed(2)).join(' ')
  const sim = await startSimulator(3, 30)
  const sections: string[] = []
  try {
    const paths = [
      '/v1.41/containers/sim1-c3/json',
      '/v1.41/containers/sim1-c3/top',
      '/v1.41/images/busybox:local/json',
    ]
    // Names resolve through every host; resolve an ID so the owner cache path is what is measured.
    const id = (JSON.parse(await call(targetOf(sim.urls[0]!), 'GET', paths[0]!)) as { Id: string }).Id
    const wanted = (flags.get('paths') ?? 'inspect,top,image').split(',')
    const byId = paths.map((p) => p.replace('sim1-c3', id))
      .filter((_, i) => wanted.includes(['inspect', 'top', 'image'][i]!))
    for (const runtime of runtimes) {
      const port = await freePort()
      const entry = runtime === 'deno' ? `${ROOT}mod.ts` : `${ROOT}src/server.ts`
      const nodes = sim.urls.map((url, i) => `--node=sim${i + 1}=${url}`)
      sections.push(
        `### flocker on ${runtime} (3 simulated hosts; container inspect, top, image inspect by ID)\n\n` +
          await profileOne(
            `flocker-${runtime}`,
            runtime,
            entry,
            ['-H', `tcp://127.0.0.1:${port}`, ...nodes],
            port,
            byId,
            requests,
          ),
      )
      const barePort = await freePort()
      const upstreamPort = new URL(sim.urls[0]!.replace('tcp:', 'http:')).port
      sections.push(
        `### bare proxy on ${runtime} (the floor)\n\n` +
          await profileOne(
            `bare-${runtime}`,
            runtime,
            `${HERE}bare-proxy.ts`,
            [String(barePort), upstreamPort],
            barePort,
            byId,
            requests,
          ),
      )
    }
  } finally {
    await sim.stop()
  }
  const text = [
    `## Where the time goes per small request (${new Date().toISOString()})`,
    '',
    `\`node --import tsx bench/profile.ts ${
      process.argv.slice(2).join(' ')
    }\`: ${requests} requests from 4 ` +
    `connections, --cpu-prof (1 ms sampling), self time summed by component; load average at start ${load}, ` +
    `at the end ${
      loadavg().map((n) => n.toFixed(2)).join(' ')
    }. Deno has no --cpu-prof flag and is not profiled here.`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n')
  console.log(text)
  writeFileSync(`${HERE}results/profile.md`, text)
}

await main()
