/**
 * Measured against the simulator (bench/simulator): flock-wide lists and name lookups from 1 to 500
 * hosts, the proxy's own stream ceiling, and start-up to the first answered request.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { request } from 'node:http'
import { commandFor, freePort, type RuntimeName } from '../../tests/support/flocker.ts'
import { call, latencySamples, latencyStats, type Target, targetOf, untilCached } from '../http.ts'
import { attachFigure } from '../measure.ts'
import { sampleRss } from '../memory.ts'
import { bareProxyOn, cpuSeconds, flockerOn, rssOf, type Simulator, startSimulator } from '../procs.ts'
import { ms, SectionBuilder } from '../report.ts'
import { curlTransfer, execOutput, MB, mbps, zerosFile } from '../streams.ts'
import { median, recorded } from './real.ts'

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface ScaleSizes {
  readonly hostCounts: number[]
  readonly containersPerHost: number
  readonly scaleRequests: number
}

export function scaleSection(sizes: ScaleSizes): SectionBuilder {
  return new SectionBuilder(
    `Scale: simulated engines × ${sizes.containersPerHost} containers`,
    'bench/simulator: every engine in one node process on its own loopback port, answering from memory. ' +
      `\`ps -a\` = \`GET /containers/json?all=1\` with \`--list-cache=on\`; name lookup = inspect by a name held by one host in the middle (with the list cache, and with \`--list-cache=off\`: the name index). ` +
      `${sizes.scaleRequests} sequential requests per figure (5 at 500 hosts), once the cache answers (\`X-Flocker-List: cached\`) ` +
      'and the name is found, then a burst of 40 lists (4 at once). ' +
      'RSS of the flocker process; bytes per container = (RSS after the lists − RSS at start) / containers.',
  )
}

export async function measureScale(
  runtimes: RuntimeName[],
  sizes: ScaleSizes,
  out: SectionBuilder,
): Promise<void> {
  for (const hosts of sizes.hostCounts) {
    log(`scale: ${hosts} simulated hosts`)
    const sim = await startSimulator(hosts, sizes.containersPerHost)
    try {
      const engine = targetOf(sim.urls[0]!)
      const engineList = latencyStats(await latencySamples(engine, '/v1.41/containers/json?all=1', 20))
      for (const runtime of runtimes) {
        await recorded(out, runtime, () => scaleOne(runtime, hosts, sim, sizes, engineList.p50, out))
      }
    } finally {
      await sim.stop()
    }
  }
}

async function scaleOne(
  runtime: RuntimeName,
  hosts: number,
  sim: Simulator,
  sizes: ScaleSizes,
  engineListP50: number,
  out: SectionBuilder,
): Promise<void> {
  const expected = hosts * sizes.containersPerHost
  // The list cache is what answers a flock this size without asking every host.
  const flocker = await flockerOn(runtime, sim.urls.map((url, i) => `sim${i + 1}=${url}`), [
    '--list-cache=on',
  ])
  try {
    const target = targetOf(flocker.url)
    const rssStart = rssOf(flocker.pid)
    await untilListed(target, expected)
    // A list that shows every container may still be a live one (some feed not synced yet, or the
    // hosts' health not yet vouched for): the figure is of the cache, so wait for it to answer. Asked
    // for one row: a whole live list of 500 hosts every 100 ms took the CPU the cache fills with.
    const path = '/v1.41/containers/json?all=1'
    if (!await untilCached(target, `${path}&limit=1`, 'x-flocker-list', 120)) {
      throw new Error('the list cache never answered')
    }
    const n = hosts >= 500 ? 5 : sizes.scaleRequests
    const list = latencyStats(await latencySamples(target, path, n))
    const mid = Math.ceil(hosts / 2)
    const lookup = latencyStats(await latencySamples(target, `/v1.41/containers/sim${mid}-c50/json`, n))
    const rssLists = rssOf(flocker.pid)
    const stop = sampleRss(flocker.pid)
    for (let i = 0; i < 10; i++) {
      await Promise.all(Array.from({ length: 4 }, () => call(target, 'GET', '/v1.41/containers/json?all=1')))
    }
    const rssPeak = stop()
    await sleep(3000)
    const rssIdle = rssOf(flocker.pid)
    const listLimit = hosts === 100 ? 50 : hosts === 500 ? 150 : undefined
    out.set(
      `\`ps -a\` p50, ${hosts} hosts (${expected} containers)`,
      listLimit ? `< ${listLimit} ms` : 'grows slowly',
      runtime,
      {
        text: `${ms(list.p50)} (p99 ${ms(list.p99)}; one engine's own ${ms(engineListP50)})`,
        met: listLimit ? list.p50 < listLimit : undefined,
        value: list.p50,
      },
    )
    out.set(`name lookup p50, ${hosts} hosts`, 'does not grow with hosts', runtime, {
      text: ms(lookup.p50),
      value: lookup.p50,
    })
    out.set(
      `RSS MiB, ${hosts} hosts: start / after lists / peak in burst / 3 s later`,
      'back near its level',
      runtime,
      { text: [rssStart, rssLists, rssPeak, rssIdle].map((v) => v.toFixed(0)).join(' / ') },
    )
    const perContainer = ((rssLists - rssStart) * MB) / expected
    out.set(`bytes per container, ${hosts} hosts`, 'written down (MiB per 10,000)', runtime, {
      text: `${perContainer.toFixed(0)} B (${((perContainer * 10_000) / MB).toFixed(1)} MiB per 10,000)`,
    })
  } finally {
    await flocker.stop()
  }
  await nameLookupWithoutListCache(runtime, hosts, sim, sizes, out)
}

/**
 * A name lookup without the list cache (`--list-cache=off`): the name index (each host's container
 * events) names the one host to ask, so it should not grow with the hosts either.
 */
async function nameLookupWithoutListCache(
  runtime: RuntimeName,
  hosts: number,
  sim: Simulator,
  sizes: ScaleSizes,
  out: SectionBuilder,
): Promise<void> {
  const flocker = await flockerOn(runtime, sim.urls.map((url, i) => `sim${i + 1}=${url}`), [
    '--list-cache=off',
  ])
  try {
    const target = targetOf(flocker.url)
    await untilListed(target, hosts * sizes.containersPerHost)
    const mid = Math.ceil(hosts / 2)
    const path = `/v1.41/containers/sim${mid}-c50/json`
    await untilFound(target, path)
    const n = hosts >= 500 ? 5 : sizes.scaleRequests
    const lookup = latencyStats(await latencySamples(target, path, n))
    out.set(`name lookup p50, ${hosts} hosts, without the list cache`, 'does not grow with hosts', runtime, {
      text: ms(lookup.p50),
      value: lookup.p50,
    })
  } finally {
    await flocker.stop()
  }
}

/**
 * Asks for `path` until it is found (60 s at most). The name index fills from each host's list once
 * its events stream is up; until then a lookup asks every host, and with hundreds of them on a busy
 * machine some do not answer within the lookup timeout: a 404 then says the index was not ready.
 */
async function untilFound(target: Target, path: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await call(target, 'GET', path).then(() => true, () => false)) return
    await sleep(200)
  }
  await call(target, 'GET', path)
}

/** Lists until every simulated container shows (hosts are checked as they join). */
async function untilListed(target: Target, expected: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const list = JSON.parse(await call(target, 'GET', '/v1.41/containers/json?all=1')) as unknown[]
    if (list.length >= expected) return
    await sleep(100)
  }
  throw new Error(`flocker never listed ${expected} containers`)
}

export function fakeStreamsSection(mb: number): SectionBuilder {
  return new SectionBuilder(
    `Streams through the proxy alone (fast simulated engine, ${mb} MB each)`,
    'direct = the simulator, which pours zeros as fast as the socket drains; the figure is flocker in front of it ' +
      '(GB/s = 1024 MiB/s); bare = bench/bare-proxy.ts (node:http, the same runtime) in front of it, the floor any ' +
      `proxy in this runtime pays. One unmeasured round each way, then ${FAKE_ROUNDS} rounds, direct, bare and ` +
      "flocker in a rotating order; GB/s are medians, (×) the median of the rounds' flocker / bare ratios with " +
      "their range, CPU s/GiB the proxy processes' (/proc, over every round). load uploads the bytes. logs, export, " +
      "cp and load are measured by curl (the bench process's node:http client read the simulator directly at only " +
      '0.7-1.0 GB/s, the limit of every figure); attach and exec by a raw socket in the bench process.',
  )
}

/** Enough rounds for a median that one slow round (another process's turn on 2 cores) does not move. */
const FAKE_ROUNDS = 7

/** One stream of `mb` MB of each kind from the simulator through a target, in MiB/s. */
export function simulatedStreams(mb: number): Record<string, (t: Target) => Promise<number>> {
  const zeros = zerosFile(mb)
  const container = 'sim1-c0'
  return {
    attach: (t) => attachFigure(t, mb),
    exec: async (t) => mbps(await execOutput(t, container, ['cat'])),
    logs: async (t) => mbps(await curlTransfer(t, `/v1.41/containers/${container}/logs?stdout=1`)),
    export: async (t) => mbps(await curlTransfer(t, `/v1.41/containers/${container}/export`)),
    cp: async (t) => mbps(await curlTransfer(t, `/v1.41/containers/${container}/archive?path=/big`)),
    load: async (t) => mbps(await curlTransfer(t, '/v1.41/images/load?quiet=1', zeros)),
  }
}

export async function measureFakeStreams(
  runtimes: RuntimeName[],
  mb: number,
  out: SectionBuilder,
): Promise<void> {
  const sim: Simulator = await startSimulator(1, 10, mb)
  try {
    const engine = targetOf(sim.urls[0]!)
    const kinds = simulatedStreams(mb)
    for (const runtime of runtimes) {
      log(`${runtime}: streams through the proxy and the bare proxy from the simulator`)
      const flocker = await flockerOn(runtime, [`sim1=${sim.urls[0]}`])
      const bare = await bareProxyOn(runtime, sim.urls[0]!)
      try {
        const targets = [engine, targetOf(bare.url), targetOf(flocker.url)]
        const pids = [0, bare.pid, flocker.pid]
        const rssStart = rssOf(flocker.pid)
        let peak = 0
        const limit = runtime === 'bun' ? 1 : 0.8
        for (const [kind, measure] of Object.entries(kinds)) {
          // One unmeasured round each way first: the simulator, this client and a fresh proxy
          // compile their stream paths over the first hundreds of MB (the first figures of a run
          // were 3 to 9 times lower than the last, direct too).
          for (const target of targets) await measure(target)
          const rates: number[][] = [[], [], []]
          const cpu = [0, 0, 0]
          for (let round = 0; round < FAKE_ROUNDS; round++) {
            // The order rotates, so whatever else runs on the machine falls on each target alike.
            for (let turn = 0; turn < 3; turn++) {
              const which = (round + turn) % 3
              const stop = which === 2 ? sampleRss(flocker.pid) : () => 0
              const before = which ? cpuSeconds(pids[which]!) : 0
              const figure = await measure(targets[which]!).finally(() => (peak = Math.max(peak, stop())))
              if (which) cpu[which]! += cpuSeconds(pids[which]!) - before
              rates[which]!.push(figure / 1024)
            }
          }
          out.set(`${kind} (GB/s through flocker)`, '≥ 1 (Bun), ≥ 0.8 (Node, Deno)', runtime, {
            ...fakeStreamCell(rates, cpu, mb),
            met: median(rates[2]!) >= limit,
          })
        }
        out.set('flocker RSS MiB: before / peak during the streams', 'flat whatever the size', runtime, {
          text: `${rssStart.toFixed(0)} / ${peak.toFixed(0)}`,
        })
      } finally {
        await Promise.all([flocker.stop(), bare.stop()])
      }
    }
  } finally {
    await sim.stop()
  }
}

/** Medians of each target's GB/s, flocker / bare round by round, and the proxies' CPU per GiB. */
function fakeStreamCell(rates: number[][], cpu: number[], mb: number): { text: string; value: number } {
  const [direct, viaBare, proxied] = rates as [number[], number[], number[]]
  const ratios = proxied.map((rate, i) => rate / viaBare[i]!)
  const perGiB = (which: number) => (cpu[which]! / ((FAKE_ROUNDS * mb) / 1024)).toFixed(2)
  const value = median(proxied)
  return {
    text:
      `${value.toFixed(2)} (direct ${median(direct).toFixed(2)}; bare ${median(viaBare).toFixed(2)} GB/s; ` +
      `×${median(ratios).toFixed(2)} of bare, rounds ×${Math.min(...ratios).toFixed(2)}-${
        Math.max(...ratios).toFixed(2)
      }; CPU s/GiB ${perGiB(2)}, bare ${perGiB(1)})`,
    value,
  }
}

export function startupSection(): SectionBuilder {
  return new SectionBuilder(
    'Start-up to the first answered request',
    'From spawning the command to the first 200 on `GET /_ping` (polled every 2 ms on fresh connections), one ' +
      'simulated host; median of 5. Node runs what `npm start` and `npx flocker` run (`dist/bin/flocker.js`: the ' +
      'esbuild bundle `dist/bin/flocker-main.cjs` from its V8 code cache, written by one unmeasured start ended ' +
      'with SIGTERM); "node (no code cache)" the same with the cache removed before each start; "node (unbundled)" the tsc output `dist/src/server.js` it is built from; "node (tsx)" runs the ' +
      'TypeScript through tsx, as the tests do. Bun and Deno run the TypeScript (breakdown: bench/results/startup.md).',
  )
}

export async function measureStartup(
  runtimes: RuntimeName[],
  out: SectionBuilder,
  dist: string | null,
): Promise<void> {
  const sim = await startSimulator(1, 10)
  try {
    const commands: StartCommand[] = []
    for (const runtime of runtimes) {
      if (runtime === 'node' && dist) {
        const cache = dist.replace(/flocker\.js$/, 'flocker-main.cjs.cache')
        // A build leaves no code cache: one start that ends as users end it (SIGTERM) writes it.
        commands.push({ label: 'node', command: process.execPath, args: [dist], warmUp: true })
        commands.push({
          label: 'node (no code cache)',
          command: process.execPath,
          args: [dist],
          before: () => rmSync(cache, { force: true }),
        })
        commands.push({
          label: 'node (unbundled)',
          command: process.execPath,
          args: [
            dist.replace(/bin\/flocker\.js$/, 'src/server.js'),
          ],
        })
      }
      const [command, args] = commandFor(runtime)
      commands.push({ label: runtime === 'node' ? 'node (tsx)' : runtime, command, args })
    }
    for (const { label, command, args, warmUp, before } of commands) {
      const flags = [...args, `--node=sim1=${sim.urls[0]}`]
      if (warmUp) await timeToFirstAnswer(command, flags, 'SIGTERM')
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        before?.()
        times.push(await timeToFirstAnswer(command, flags))
      }
      const t = median(times)
      const reference = REFERENCE_ROWS[label]
      out.set(
        reference ?? 'start-up to first answered `/_ping` (ms)',
        reference ? 'for reference' : '< 300 ms',
        reference ? 'node' : label,
        { text: t.toFixed(0), met: reference ? undefined : t < 300, value: t },
      )
    }
  } finally {
    await sim.stop()
  }
}

interface StartCommand {
  readonly label: string
  readonly command: string
  readonly args: string[]
  /** Start once, unmeasured, and end it with SIGTERM first (the bundle writes its code cache). */
  readonly warmUp?: boolean
  /** Before each measured start. */
  readonly before?: () => void
}

/** Node's other ways to start, shown as rows of their own. */
const REFERENCE_ROWS: Record<string, string> = {
  'node (no code cache)':
    'start-up, Node running the bundle before its code cache is written (first start after a build or upgrade) (ms)',
  'node (unbundled)': 'start-up, Node running the unbundled tsc output `dist/src/server.js` (ms)',
  'node (tsx)': 'start-up, Node running the TypeScript through tsx (ms)',
}

async function timeToFirstAnswer(
  command: string,
  args: string[],
  stop: NodeJS.Signals = 'SIGKILL',
): Promise<number> {
  const port = await freePort()
  const start = performance.now()
  const child = spawn(command, [...args, '-H', `tcp://127.0.0.1:${port}`], { stdio: 'ignore' })
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`)
      if (await pingOk(port)) return performance.now() - start
      await sleep(2)
      if (performance.now() - start > 30_000) throw new Error(`${command} never answered`)
    }
  } finally {
    child.kill(stop)
    await new Promise((resolve) => child.exitCode !== null ? resolve(null) : child.once('exit', resolve))
  }
}

export function pingOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/_ping', agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
    })
    req.on('error', () => resolve(false))
    req.end()
  })
}
