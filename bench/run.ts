/**
 * flocker's benchmarks: `npm run bench [-- flags]`. Starts its own real engine (and, with --fake, a fake
 * fast daemon), then for each runtime measures flocker against the daemon it fronts, back to back in
 * the same run, and prints ratios. Results: bench/results/latest.md and latest.json.
 *
 *   --runtimes=node,bun,deno   which flocker runtimes (default: all three, or FLOCKER_RUNTIMES)
 *   --requests=500             sequential requests per latency figure
 *   --concurrent=1000          requests per throughput figure, from --concurrency=16 connections
 *   --stream-mb=200            MB through the raw attach stream (0 to skip)
 *   --cli-mb=100               MB through `docker run -i cat` (0 to skip)
 *   --fake                     also measure against bench/fake-daemon.ts (the proxy's own ceiling)
 *   --fake-mb=500              MB through the attach stream from the fake daemon
 *   --no-real                  skip the real engine (with --fake: only the ceiling)
 *   --quick                    small sizes, for a smoke run
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { IMAGE } from '../tests/support/docker.ts'
import { type LocalEngines, startEngines } from '../tests/support/engines.ts'
import { freePort, type RuntimeName, runtimes, startFlocker } from '../tests/support/flocker.ts'
import { call, targetOf } from './http.ts'
import { attachFigure, cliFigure, type Sizes, smallRequestsPaired } from './measure.ts'
import { memoryOf, sampleRss, servingProcess } from './memory.ts'
import { type RuntimeResult, type Scenario, scenarioTable } from './report.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))

interface Options extends Sizes {
  readonly runtimes: RuntimeName[]
  readonly fake: boolean
  readonly fakeMb: number
  readonly real: boolean
}

function parseOptions(argv: string[]): Options {
  const flags = new Map(argv.map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined]
    return [name, value ?? 'true']
  }))
  const quick = flags.has('quick')
  const number = (name: string, normal: number, small: number) =>
    Number(flags.get(name) ?? (quick ? small : normal))
  return {
    runtimes: (flags.get('runtimes')?.split(',') as RuntimeName[] | undefined) ?? runtimes(),
    requests: number('requests', 500, 100),
    concurrentRequests: number('concurrent', 1000, 200),
    concurrency: number('concurrency', 16, 8),
    streamMb: number('stream-mb', 200, 20),
    cliMb: number('cli-mb', 100, 20),
    fake: flags.has('fake'),
    fakeMb: number('fake-mb', 500, 100),
    real: !flags.has('no-real'),
  }
}

/** Measures one runtime's flocker in front of `upstream` and the upstream itself, interleaved. */
async function measureRuntime(
  runtime: RuntimeName,
  upstream: { url: string; inspectPath: string; withCli: boolean },
  sizes: Sizes,
): Promise<RuntimeResult> {
  const flocker = await startFlocker(runtime, [`--node=up=${upstream.url}`])
  try {
    const pid = servingProcess(flocker.process.pid!)
    const targets = [targetOf(upstream.url), targetOf(flocker.dockerHost)] as const
    await call(targets[1], 'GET', '/_ping')
    const memory = { rssStart: memoryOf(pid).rss, rssAfterRequests: 0, rssPeakStream: 0, rssEnd: 0, hwm: 0 }
    log(`${runtime}: small requests, direct and through flocker (pid ${pid}) in turns`)
    const [direct, figures] = await smallRequestsPaired(targets, upstream.inspectPath, sizes)
    memory.rssAfterRequests = memoryOf(pid).rss
    log(`${runtime}: streams`)
    if (sizes.streamMb) {
      direct.attachMBps = await attachFigure(targets[0], sizes.streamMb)
      const stop = sampleRss(pid)
      figures.attachMBps = await attachFigure(targets[1], sizes.streamMb).finally(() =>
        memory.rssPeakStream = stop()
      )
    }
    if (sizes.cliMb && upstream.withCli) {
      direct.cliMBps = await cliFigure(upstream.url, sizes.cliMb)
      const stop = sampleRss(pid)
      figures.cliMBps = await cliFigure(flocker.dockerHost, sizes.cliMb).finally(() =>
        memory.rssPeakStream = Math.max(memory.rssPeakStream, stop())
      )
    }
    const end = memoryOf(pid)
    return { direct, flocker: figures, memory: { ...memory, rssEnd: end.rss, hwm: end.hwm } }
  } finally {
    await flocker.stop()
  }
}

async function realScenario(options: Options): Promise<Scenario> {
  log('starting a real engine')
  const engines: LocalEngines = await startEngines(1)
  const engine = targetOf(engines.engines[0]!.url)
  let id = ''
  try {
    id = (JSON.parse(
      await call(engine, 'POST', '/v1.41/containers/create', {
        Image: IMAGE,
        Cmd: ['sleep', '3600'],
        HostConfig: { NetworkMode: 'none' },
      }),
    ) as { Id: string }).Id
    await call(engine, 'POST', `/v1.41/containers/${id}/start`)
    const upstream = {
      url: engines.engines[0]!.url,
      inspectPath: `/v1.41/containers/${id}/json`,
      withCli: true,
    }
    const results: Record<string, RuntimeResult> = {}
    for (const runtime of options.runtimes) {
      results[runtime] = await measureRuntime(runtime, upstream, options)
    }
    return { title: 'Real dockerd 20.10 (one engine)', against: 'the same dockerd over TCP', results }
  } finally {
    if (id) await call(engine, 'DELETE', `/v1.41/containers/${id}?force=1`).catch(() => {})
    await engines.down()
  }
}

async function fakeScenario(options: Options): Promise<Scenario> {
  const port = await freePort()
  log('starting the fake daemon')
  const fake = await startFake(port, options.fakeMb)
  try {
    const upstream = {
      url: `tcp://127.0.0.1:${port}`,
      inspectPath: '/v1.41/containers/fake0/json',
      withCli: false,
    }
    const sizes = { ...options, streamMb: options.fakeMb, cliMb: 0 }
    const results: Record<string, RuntimeResult> = {}
    for (const runtime of options.runtimes) results[runtime] = await measureRuntime(runtime, upstream, sizes)
    return { title: "Fake fast daemon (the proxy's own ceiling)", against: 'bench/fake-daemon.ts', results }
  } finally {
    fake.kill('SIGTERM')
  }
}

function startFake(port: number, mb: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [
    '--import',
    'tsx',
    `${HERE}fake-daemon.ts`,
    String(port),
    String(mb * 1024 * 1024),
  ], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve(child))
    child.on('exit', (code) => reject(new Error(`fake daemon exited with ${code}`)))
  })
}

const loadNow = () => loadavg().map((n) => n.toFixed(2)).join(' ')

function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`)
}

async function main() {
  const options = parseOptions(process.argv.slice(2))
  const started = Date.now()
  const load = loadNow()
  const scenarios: Scenario[] = []
  if (options.real) scenarios.push(await realScenario(options))
  if (options.fake) scenarios.push(await fakeScenario(options))
  const seconds = Math.round((Date.now() - started) / 1000)
  const header = [
    `## flocker benchmarks, ${new Date().toISOString()}`,
    '',
    `${cpus().length} CPUs, load average at start ${load}, at the end ${loadNow()}, node ${process.version}; ` +
    `${options.requests} sequential requests per latency figure, ${options.concurrentRequests} requests ` +
    `from ${options.concurrency} connections per throughput figure; attach ${options.streamMb} MB ` +
    `(fake: ${options.fakeMb} MB), \`docker run -i cat\` ${options.cliMb} MB; run took ${seconds} s.`,
  ]
  const markdown = [...header, ...scenarios.map((s) => `\n${scenarioTable(s)}`)].join('\n') + '\n'
  console.log(markdown)
  const out = `${HERE}results`
  mkdirSync(out, { recursive: true })
  writeFileSync(`${out}/latest.md`, markdown)
  writeFileSync(
    `${out}/latest.json`,
    JSON.stringify(
      { date: new Date().toISOString(), cpus: cpus().length, load, options, scenarios },
      null,
      2,
    ) +
      '\n',
  )
}

await main()
