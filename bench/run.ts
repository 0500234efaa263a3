/**
 * flocker's benchmarks: `npm run bench [-- flags]`. Each figure is measured in one run against a
 * direct engine and a bare node:http pass-through proxy (bench/bare-proxy.ts) on the same runtime,
 * alternating, and printed with its target (issue 14) into bench/results/latest.md and latest.json.
 *
 *   --parts=small,lists,placement,streams,fake-streams,scale,startup   (default: all)
 *   --runtimes=node,bun,deno   (default: all three, or FLOCKER_RUNTIMES)
 *   --quick                    smaller sizes, 1/10/100 hosts: a smoke run of about 3 minutes
 *   --requests=600 --concurrent=1200 --concurrency=16 --rounds=4   small requests
 *   --creates=20 --create-rounds=9   placement bursts (5 rounds with --quick)
 *   --stream-mb=50             real engine streams, one transfer per target in turns until each has spent
 *                              --stream-rounds=3 × --stream-seconds=3 s (--stream-kinds=exec,cp: only those;
 *                              --stream-turns=blocks: the older 3-s blocks per turn); --fake-mb=1000 through the proxy from the simulator
 *   --hosts=1,10,100,500       simulated host counts (100 containers each)
 *   --out=NAME                 results file name (default latest)
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { commandFor, type RuntimeName, runtimes } from '../tests/support/flocker.ts'
import { measureReal, realFixture, realSections, type RealSizes } from './parts/real.ts'
import {
  fakeStreamsSection,
  measureFakeStreams,
  measureScale,
  measureStartup,
  scaleSection,
  startupSection,
} from './parts/simulated.ts'
import { type Section, sectionMarkdown } from './report.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const ALL_PARTS = ['small', 'lists', 'placement', 'streams', 'fake-streams', 'scale', 'startup']

function parseFlags(argv: string[]) {
  const flags = new Map(argv.map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined]
    return [name, value ?? 'true']
  }))
  const quick = flags.has('quick')
  const number = (name: string, normal: number, small: number) =>
    Number(flags.get(name) ?? (quick ? small : normal))
  const parts = new Set(flags.get('parts')?.split(',') ?? ALL_PARTS)
  const real: RealSizes = {
    requests: number('requests', 600, 200),
    concurrentRequests: number('concurrent', 1200, 400),
    concurrency: number('concurrency', 16, 16),
    rounds: number('rounds', 4, 2),
    perEngine: number('per-engine', 30, 30),
    listRequests: number('list-requests', 200, 60),
    creates: number('creates', 20, 20),
    createRounds: number('create-rounds', 9, 5),
    runs: number('runs', 7, 5),
    streamMb: number('stream-mb', 50, 30),
    streamSeconds: number('stream-seconds', 3, 2),
    streamRounds: number('stream-rounds', 3, 3),
    streamTurns: (flags.get('stream-turns') ?? 'transfers').split(',') as ('transfers' | 'blocks')[],
    streamKinds: flags.has('stream-kinds') ? new Set(flags.get('stream-kinds')!.split(',')) : undefined,
    parts,
  }
  return {
    parts,
    runtimes: (flags.get('runtimes')?.split(',') as RuntimeName[] | undefined) ?? runtimes(),
    real,
    fakeMb: number('fake-mb', 1000, 200),
    scale: {
      hostCounts: (flags.get('hosts') ?? (quick ? '1,10,100' : '1,10,100,500')).split(',').map(Number),
      containersPerHost: number('containers', 100, 100),
      scaleRequests: number('scale-requests', 15, 8),
    },
    out: flags.get('out') ?? 'latest',
    argv,
  }
}

const loadNow = () => loadavg().map((n) => n.toFixed(2)).join(' ')
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)

function versions(list: RuntimeName[]): string {
  return list.map((runtime) => {
    const [command] = commandFor(runtime)
    try {
      const out = execFileSync(command, runtime === 'node' ? ['--version'] : ['--version'], {
        encoding: 'utf8',
      })
      return `${runtime} ${out.split('\n')[0]!.trim()}`
    } catch {
      return `${runtime} ?`
    }
  }).join(', ')
}

function machine(): string {
  const model = cpus()[0]?.model ?? '?'
  let dockerd = '?'
  try {
    dockerd = execFileSync('dockerd', ['--version'], { encoding: 'utf8' }).trim()
  } catch { /* not installed */ }
  const os = existsSync('/etc/os-release')
    ? /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?'
    : '?'
  return `${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${os}; ${dockerd}`
}

/** Node users run the built JavaScript: build it once so start-up is measured as they see it. */
/** Builds dist (tsc, then the esbuild bundle `npm start` runs); the bundle's path. */
function buildDist(): string | null {
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
    return `${ROOT}dist/bin/flocker.js`
  } catch {
    return null
  }
}

async function main() {
  const options = parseFlags(process.argv.slice(2))
  const started = Date.now()
  const loadStart = loadNow()
  const sections: Section[] = []
  const { runtimes: list, parts } = options
  log(`parts: ${[...parts].join(', ')}; runtimes: ${list.join(', ')}; load ${loadStart}`)

  if (['small', 'lists', 'placement', 'streams'].some((p) => parts.has(p))) {
    const fixture = await realFixture(options.real)
    const real = realSections(options.real)
    try {
      for (const runtime of list) await measureReal(runtime, fixture, options.real, real)
    } finally {
      await fixture.engines.down()
    }
    for (
      const [part, builder] of [['small', real.small], ['lists', real.lists], ['placement', real.placement], [
        'streams',
        real.streams,
      ]] as const
    ) {
      if (parts.has(part)) sections.push(builder.build())
    }
  }
  if (parts.has('fake-streams')) {
    const out = fakeStreamsSection(options.fakeMb)
    await measureFakeStreams(list, options.fakeMb, out)
    sections.push(out.build())
  }
  if (parts.has('scale')) {
    const out = scaleSection(options.scale)
    await measureScale(list, options.scale, out)
    sections.push(out.build())
  }
  if (parts.has('startup')) {
    const out = startupSection()
    log('start-up')
    await measureStartup(list, out, list.includes('node') ? buildDist() : null)
    sections.push(out.build())
  }

  const seconds = Math.round((Date.now() - started) / 1000)
  const header = [
    `## flocker benchmarks, ${new Date().toISOString()}`,
    '',
    `- machine: ${machine()}`,
    `- runtimes: ${versions(list)}`,
    `- command: \`npm run bench -- ${options.argv.join(' ')}\` (took ${seconds} s)`,
    `- load average (1, 5, 15 min) at start: ${loadStart}; at the end: ${loadNow()}`,
    '- ✓ target met, ✗ missed (see bench/results/profile.md for where the time goes).',
  ]
  const markdown = [...header, ...sections.map((s) => `\n${sectionMarkdown(s, list)}`)].join('\n') + '\n'
  console.log(markdown)
  const out = `${HERE}results`
  mkdirSync(out, { recursive: true })
  writeFileSync(`${out}/${options.out}.md`, markdown)
  writeFileSync(
    `${out}/${options.out}.json`,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: machine(),
        load: { start: loadStart, end: loadNow() },
        options,
        sections,
      },
      (_key, v) => v instanceof Set ? [...v] : v,
      2,
    ) + '\n',
  )
}

await main()
