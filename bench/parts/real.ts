/**
 * Everything measured on real engines: three dockerd with 30 containers each; per runtime a bare
 * proxy in front of engine 1 and flocker in front of all three.
 */
import { loadavg } from 'node:os'
import { IMAGE, NET } from '../../tests/support/docker.ts'
import { type LocalEngines, startEngines } from '../../tests/support/engines.ts'
import type { RuntimeName } from '../../tests/support/flocker.ts'
import { run } from '../../tests/support/run.ts'
import { DOCKER } from '../../tests/support/docker.ts'
import { call, latencySamples, latencyStats, type Target, targetOf, untilCached } from '../http.ts'
import { attachFigure } from '../measure.ts'
import { sampleRss } from '../memory.ts'
import { bareProxyOn, bareTeeOn, cpuSeconds, flockerOn, type Served } from '../procs.ts'
import { ms, ratioCell, SectionBuilder } from '../report.ts'
import { download, execOutput, MB, mbps, type Transfer, upload } from '../streams.ts'
import { smallRequests, type SmallSizes } from './small.ts'

export interface RealSizes extends SmallSizes {
  readonly perEngine: number
  readonly listRequests: number
  readonly creates: number
  readonly createRounds: number
  readonly runs: number
  readonly streamMb: number
  /** Each stream figure repeats its transfer until this many seconds have passed (MB/s over them all). */
  readonly streamSeconds: number
  /** With streamSeconds, each target's time per stream kind: streamRounds × streamSeconds (see transferRounds). */
  readonly streamRounds: number
  /** The stream kinds measured (default: all). */
  readonly streamKinds?: ReadonlySet<string>
  /** How the targets take turns (see transferRounds; `blocks` the older way), each in turn. */
  readonly streamTurns: readonly ('transfers' | 'blocks')[]
  readonly parts: ReadonlySet<string>
}

export interface RealFixture {
  readonly engines: LocalEngines
  /** A running container on engine 1. */
  readonly running: string
  readonly logs: string
  readonly bigFile: string
  readonly imageTar: Buffer | null
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)

async function createStarted(engine: Target, name: string, cmd: string[], wait = false): Promise<string> {
  const { Id } = JSON.parse(
    await call(engine, 'POST', `/v1.41/containers/create?name=${name}`, {
      Image: IMAGE,
      Cmd: cmd,
      HostConfig: { NetworkMode: 'none' },
    }),
  ) as { Id: string }
  await call(engine, 'POST', `/v1.41/containers/${Id}/start`)
  if (wait) await call(engine, 'POST', `/v1.41/containers/${Id}/wait`)
  return Id
}

export async function realFixture(sizes: RealSizes): Promise<RealFixture> {
  log('starting three real engines')
  const engines = await startEngines(3, {}, { registry: false })
  const targets = engines.engines.map((e) => targetOf(e.url))
  log(`${sizes.perEngine} containers on each engine`)
  const ids = await Promise.all(targets.map(async (engine, e) => {
    const out: string[] = []
    for (let i = 0; i < sizes.perEngine; i += 5) {
      out.push(
        ...await Promise.all(
          Array.from(
            { length: Math.min(5, sizes.perEngine - i) },
            (_, k) => createStarted(engine, `bench-e${e + 1}-${i + k}`, ['sleep', '3600']),
          ),
        ),
      )
    }
    return out
  }))
  const engine1 = targets[0]!
  const running = ids[0]![0]!
  let logs = ''
  let bigFile = ''
  let imageTar: Buffer | null = null
  if (sizes.parts.has('streams') && sizes.streamMb) {
    log('stream fixtures: a container with logs, one with a big file, an image of it')
    const bytes = sizes.streamMb * MB
    logs = await createStarted(engine1, 'bench-logs', [
      'sh',
      '-c',
      `yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef | head -c ${bytes}`,
    ], true)
    bigFile = await createStarted(
      engine1,
      'bench-big',
      ['sh', '-c', `head -c ${bytes} /dev/zero > /big`],
      true,
    )
    await call(engine1, 'POST', `/v1.41/commit?container=${bigFile}&repo=bench-big&tag=latest`)
    const { body } = await downloadBody(engine1, '/v1.41/images/bench-big:latest/get')
    imageTar = body
  }
  return { engines, running, logs, bigFile, imageTar }
}

function downloadBody(target: Target, path: string): Promise<{ bytes: number; body: Buffer }> {
  return import('node:http').then(({ request }) =>
    new Promise((resolve, reject) => {
      const req = request({ ...target, path, agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ bytes: body.byteLength, body })
        })
      })
      req.on('error', reject)
      req.end()
    })
  )
}

export interface RealSections {
  readonly small: SectionBuilder
  readonly lists: SectionBuilder
  readonly placement: SectionBuilder
  readonly streams: SectionBuilder
}

export function realSections(sizes: RealSizes): RealSections {
  return {
    small: new SectionBuilder(
      'Small routed requests (real dockerd 20.10, flocker in front of 3 engines)',
      `direct = engine 1 over TCP; bare = bench/bare-proxy.ts (node:http, the same runtime) in front of engine 1; ` +
        `flocker in front of the 3 engines. ${sizes.rounds} rounds, the order rotating; ${sizes.requests} ` +
        `sequential keep-alive requests and ${sizes.concurrentRequests} from ${sizes.concurrency} connections per figure. ` +
        'CPU from /proc/PID/stat (utime+stime, 10 ms ticks) over every request sent, warm-ups included.',
    ),
    lists: new SectionBuilder(
      'Flock-wide list (real engines)',
      `\`GET /containers/json?all=1\` through flocker over 3 engines × ${sizes.perEngine} containers, against engine 1's own ` +
        `answer for its ${sizes.perEngine}; ${sizes.listRequests} sequential requests each, alternating in rounds, ` +
        `after ${LIST_WARMUP} warm-up requests of each path to the cached flocker (Node 20's V8 optimises it over ` +
        'the first thousands; a flocker serves for days) and 50 to the others; once the containers are a minute ' +
        'old (an "Up N seconds" row rewords every second, and with it the kept answer).',
    ),
    placement: new SectionBuilder(
      'Placement (real engines)',
      `${sizes.creates} named creates fired at once through flocker (3 engines) against the same at engine 1 directly: ` +
        `after one unmeasured burst each, ${sizes.createRounds} rounds of one burst each way, the order alternating, ` +
        'each burst 1.5 s after the removals of the one before (the list cache has then looked again at them); ' +
        "the ratio is the median of the rounds' ratios, with their spread (min-max) and the median wall times " +
        "(the engine's own spread beside it; one round moves by up to ×2 on a loaded machine). " +
        `\`docker run --rm --network none busybox true\` ` +
        `(CLI 28): ${sizes.runs} pairs, each pair's first alternating; the median of the pairs' ratios (their range).`,
    ),
    streams: new SectionBuilder(
      `Streams on real engines (${sizes.streamMb} MB per transfer, ≥ ${
        sizes.streamRounds * sizes.streamSeconds
      } s per target, interleaved one transfer at a time)`,
      `After one unmeasured transfer each, direct, bare and flocker take turns ONE ${sizes.streamMb} MB transfer at ` +
        `a time, the order rotating each round, until they have spent (warm-up included) ${
          sizes.streamRounds * sizes.streamSeconds
        } s each on average ` +
        "and the rotation is whole (each target first, second and third alike): others' load moves the engine's " +
        'speed by ×2 within seconds, so turns a transfer long compare the targets on the same machine. MB/s: all ' +
        "a target carried over all its transfers' time, each timed from its request to its last byte (exec: " +
        'start-up, the time to the first byte, is counted on every side alike, its share beside it); the ratio ' +
        "is flocker's MB/s over direct's, the range beside it each rotation's (three rounds) ratio. CPU s/GiB: " +
        "the proxy process's utime+stime from /proc over every transfer, per GiB carried. " +
        'direct = engine 1; flocker in front of the 3 engines. attach: a container writing zeros, attached raw, then ' +
        'started; exec: `head -c` in a running container through the hijacked exec start; logs: a finished ' +
        "container's output; export: a container holding a big file; cp: `GET /archive` of that file; load: " +
        "`POST /images/load` of that container's committed image (through flocker a load goes to every host, so " +
        'three engines write it). bare: the same through bench/bare-proxy.ts in front of engine 1, the floor any ' +
        'proxy pays on this machine. tee: bench/bare-tee.ts sending the load to the 3 engines at once, the floor of a ' +
        'load to every host, best of ' + LOAD_ROUNDS + ' rounds in turns with flocker.',
    ),
  }
}

export async function measureReal(
  runtime: RuntimeName,
  fixture: RealFixture,
  sizes: RealSizes,
  sections: RealSections,
): Promise<void> {
  const urls = fixture.engines.engines.map((e) => e.url)
  const engine1 = targetOf(urls[0]!)
  const bare = await bareProxyOn(runtime, urls[0]!)
  const flocker = await flockerOn(runtime, fixture.engines.engines.map((e) => e.flag))
  try {
    await call(targetOf(flocker.url), 'GET', '/v1.41/containers/json?all=1') // every host checked once
    const paths = {
      'container inspect': `/v1.41/containers/${fixture.running}/json`,
      '/containers/{id}/top': `/v1.41/containers/${fixture.running}/top`,
      '/images/{name}/json': `/v1.41/images/${IMAGE}/json`,
    }
    if (sizes.parts.has('small')) {
      log(`${runtime}: small requests, direct, bare proxy and flocker in turns`)
      await recorded(
        sections.small,
        runtime,
        () => smallRequests(runtime, urls[0]!, bare, flocker, paths, sizes, sections.small),
      )
    }
    if (sizes.parts.has('lists')) {
      log(`${runtime}: flock-wide lists`)
      const flags = fixture.engines.engines.map((e) => e.flag)
      const cached = await flockerOn(runtime, flags, ['--list-cache=on'])
      // Asking every host, for reference (the list cache is on by default).
      const live = await flockerOn(runtime, flags, ['--list-cache=off'])
      try {
        await recorded(
          sections.lists,
          runtime,
          () => lists(runtime, engine1, live, cached, sizes, sections.lists),
        )
        await recorded(
          sections.lists,
          runtime,
          () =>
            keptInspects(
              runtime,
              [engine1, targetOf(bare.url), targetOf(cached.url)],
              paths,
              sizes,
              sections.lists,
            ),
        )
      } finally {
        await Promise.all([cached.stop(), live.stop()])
      }
    }
    if (sizes.parts.has('placement')) {
      log(`${runtime}: placement`)
      await recorded(
        sections.placement,
        runtime,
        () => placement(runtime, urls[0]!, flocker, sizes, sections.placement),
      )
    }
    if (sizes.parts.has('streams') && sizes.streamMb) {
      log(`${runtime}: streams`)
      await recorded(
        sections.streams,
        runtime,
        () => streams(runtime, fixture, engine1, [bare, flocker], sizes, sections.streams),
      )
    }
  } finally {
    await Promise.all([bare.stop(), flocker.stop()])
  }
}

/**
 * Requests of each measured path the list-cached flocker answers first: it was started for this part.
 * Node 20's V8 (no Maglev tier) optimises the path over the first thousands: from a fresh flocker a
 * cached `ps -a` cost 692-846 µs of CPU over its first 1000 and 269 µs past 4000, a kept inspect 692-731
 * and 288 (bench/results/profile.md, "lists5"). 500 left Node's figure to how far its compiler had got.
 */
const LIST_WARMUP = 3000

async function lists(
  runtime: RuntimeName,
  engine1: Target,
  flocker: Served,
  cached: Served,
  sizes: RealSizes,
  out: SectionBuilder,
) {
  const path = '/v1.41/containers/json?all=1'
  const targets = [engine1, targetOf(flocker.url), targetOf(cached.url)]
  // The cache answers once every host's events stream is up and its list read.
  await untilCached(targets[2]!, path, 'x-flocker-list')
  await untilRowsSettle(engine1, path)
  await latencySamples(targets[0]!, path, 50)
  await latencySamples(targets[1]!, path, 50)
  await latencySamples(targets[2]!, path, LIST_WARMUP)
  const [d, f, c] = await alternatingStats(targets, path, sizes.listRequests)
  out.set(
    "`ps -a`: 3 engines × 30 through flocker (`--list-cache=on`) / one engine's 30, p50",
    '≤ ×0.30 (Swarm classic ×0.32)',
    runtime,
    ratioCell(c.p50 / d.p50, { max: 0.30 }, `${ms(c.p50)}; engine ${ms(d.p50)}; p99 ${ms(c.p99)}`),
  )
  out.set(
    "`ps -a`: 3 engines × 30 through flocker asking every host (`--list-cache=off`) / one engine's 30, p50",
    'for reference',
    runtime,
    ratioCell(f.p50 / d.p50, {}, `${ms(f.p50)}; engine ${ms(d.p50)}`),
  )
  out.set('`ps -a`: p99 (asking every host)', '', runtime, { text: `${ms(f.p99)}; engine ${ms(d.p99)}` })
}

/** Age (s) past which a running container's Status ("Up About a minute") turns once a minute, not every second. */
const SETTLED_AGE = 61

/**
 * Waits until the engine's containers are a minute old. An "Up N seconds" row rewords every second, so a
 * kept list over young rows is rebuilt up to once per row per second (about 40 µs each for 90 rows): a
 * flock of containers seconds old is measured then, not the flock a `ps` usually sees.
 */
async function untilRowsSettle(engine: Target, path: string): Promise<void> {
  const rows = JSON.parse(await call(engine, 'GET', path)) as { Created: number }[]
  const youngest = Math.max(...rows.map((row) => row.Created))
  const wait = (youngest + SETTLED_AGE) * 1000 - Date.now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
}

/**
 * Container inspect answered by the list-cached flocker from the answer it kept (src/cache/inspect-cache.ts),
 * against the engine and the bare proxy: after the host has been quiet, as most containers are most of
 * the time.
 */
async function keptInspects(
  runtime: RuntimeName,
  [engine1, bare, cached]: readonly [Target, Target, Target],
  paths: Record<string, string>,
  sizes: RealSizes,
  out: SectionBuilder,
) {
  for (const label of ['container inspect', '/images/{name}/json']) {
    const path = paths[label]!
    if (!await untilCached(cached, path, 'x-flocker-inspect')) throw new Error(`${label} never kept`)
    const targets = [engine1, bare, cached]
    // Warmed as the list is (it had only 50 of its own requests: Node's figure then was its compiler's).
    for (const target of targets) await latencySamples(target, path, target === cached ? LIST_WARMUP : 50)
    const [d, b, c] = await alternatingStats(targets, path, sizes.requests)
    out.set(
      `${label} kept by the list cache (\`--list-cache=on\`): p50 / bare`,
      '≤ ×1.10 bare (Deno ≤ ×1.25)',
      runtime,
      ratioCell(c.p50 / b.p50, { max: runtime === 'deno' ? 1.25 : 1.10 }, `${ms(c.p50)}; bare ${ms(b.p50)}`),
    )
    out.set(
      `${label} kept by the list cache: p50 / direct`,
      `< ×2.14 (Swarm classic)`,
      runtime,
      ratioCell(c.p50 / d.p50, { max: 2.14 }, `engine ${ms(d.p50)}; p99 ${ms(c.p99)} (bare ${ms(b.p99)})`),
    )
  }
}

type Stats = ReturnType<typeof latencyStats>

/** `total` sequential requests to each of three targets, in four rounds whose order alternates. */
async function alternatingStats(
  targets: readonly Target[],
  path: string,
  total: number,
): Promise<[Stats, Stats, Stats]> {
  const samples: number[][] = [[], [], []]
  const rounds = 4
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [2, 1, 0] : [0, 1, 2]
    for (const i of order) {
      samples[i]!.push(...await latencySamples(targets[i]!, path, Math.ceil(total / rounds)))
    }
  }
  return samples.map(latencyStats) as [Stats, Stats, Stats]
}

async function placement(
  runtime: RuntimeName,
  direct: string,
  flocker: Served,
  sizes: RealSizes,
  out: SectionBuilder,
) {
  const targets = [targetOf(direct), targetOf(flocker.url)] as const
  const burst = (through: 0 | 1, round: number) =>
    createBurst(targets[through], `bench-create-${runtime}-${round}-${through ? 'f' : 'd'}`, sizes.creates)
  // Unmeasured: the first burst through a freshly started flocker compiles its create path.
  await burst(0, -1)
  await burst(1, -1)
  const pairs: { direct: number; flocker: number }[] = []
  for (let round = 0; round < sizes.createRounds; round++) {
    // The order alternates, so a load that rises or falls across the pair favours neither side.
    const first = round % 2 ? 1 : 0
    const pair = [0, 0]
    pair[first] = await burst(first, round)
    pair[1 - first] = await burst(first ? 0 : 1, round)
    pairs.push({ direct: pair[0]!, flocker: pair[1]! })
  }
  const ratios = pairs.map((p) => p.flocker / p.direct).sort((a, b) => a - b)
  const engineMs = median(pairs.map((p) => p.direct))
  out.set(
    `${sizes.creates} named creates at once: flocker (3 engines) / one engine`,
    '≤ ×1.5',
    runtime,
    ratioCell(
      median(ratios),
      { max: 1.5 },
      `×${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)}; ${ms(median(pairs.map((p) => p.flocker)))}; ` +
        `engine ${ms(engineMs)} (${ms(Math.min(...pairs.map((p) => p.direct)))}-${
          ms(Math.max(...pairs.map((p) => p.direct)))
        })`,
    ),
  )
  // Pairs in turns, the first of each pair alternating: one run is 0.4-0.9 s dominated by the
  // engine's own start, and moves with the load, so a pair's ratio is what is compared.
  const runPairs: { direct: number; flocker: number }[] = []
  for (let i = 0; i < sizes.runs; i++) {
    const pair = { direct: 0, flocker: 0 }
    for (const through of i % 2 ? [true, false] : [false, true]) {
      const start = performance.now()
      const result = await run(DOCKER, ['run', '--rm', ...NET, IMAGE, 'true'], {
        env: { DOCKER_HOST: through ? flocker.url : direct },
      })
      if (result.code !== 0) throw new Error(`docker run: ${result.err}`)
      pair[through ? 'flocker' : 'direct'] = performance.now() - start
    }
    runPairs.push(pair)
  }
  const runRatios = runPairs.map((p) => p.flocker / p.direct).sort((a, b) => a - b)
  out.set(
    '`docker run --rm busybox true`: flocker / direct',
    '≤ ×1.1',
    runtime,
    ratioCell(
      median(runRatios),
      { max: 1.1 },
      `×${runRatios[0]!.toFixed(2)}-${runRatios.at(-1)!.toFixed(2)}; ${
        ms(median(runPairs.map((p) => p.flocker)))
      }; direct ${ms(median(runPairs.map((p) => p.direct)))}`,
    ),
  )
}

/** `count` named creates fired at once, then removed: the burst's wall time (ms). */
async function createBurst(target: Target, prefix: string, count: number): Promise<number> {
  const start = performance.now()
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) =>
      (JSON.parse(
        await call(target, 'POST', `/v1.41/containers/create?name=${prefix}-${i}`, {
          Image: IMAGE,
          Cmd: ['true'],
          HostConfig: { NetworkMode: 'none' },
        }),
      ) as { Id: string }).Id),
  )
  const took = performance.now() - start
  await Promise.all(ids.map((id) => call(target, 'DELETE', `/v1.41/containers/${id}?force=1`)))
  // The next burst starts on a quiet flock: engine 1 is flocker's node1 too, and its list cache
  // looks again at a change made there directly 200 ms and a second after its event.
  await new Promise((resolve) => setTimeout(resolve, QUIET_BETWEEN_BURSTS_MS))
  return took
}

const QUIET_BETWEEN_BURSTS_MS = 1500

async function streams(
  runtime: RuntimeName,
  fixture: RealFixture,
  engine1: Target,
  [bare, flocker]: readonly [Served, Served],
  sizes: RealSizes,
  out: SectionBuilder,
) {
  const bytes = sizes.streamMb * MB
  const kinds: Record<string, (t: Target) => Promise<Transfer>> = {
    attach: async (t) => {
      const rate = await attachFigure(t, sizes.streamMb)
      return { bytes, seconds: sizes.streamMb / rate }
    },
    exec: (t) => execOutput(t, fixture.running, ['head', '-c', String(bytes), '/dev/zero']),
    logs: (t) => download(t, `/v1.41/containers/${fixture.logs}/logs?stdout=1&stderr=1`),
    export: (t) => download(t, `/v1.41/containers/${fixture.bigFile}/export`),
    cp: (t) => download(t, `/v1.41/containers/${fixture.bigFile}/archive?path=/big`),
    load: (t) => loadTransfer(fixture, t),
  }
  let peak = 0
  const targets = [engine1, targetOf(bare.url), targetOf(flocker.url)]
  const pids = [0, bare.pid, flocker.pid]
  const measured = Object.entries(kinds).filter(([kind]) => sizes.streamKinds?.has(kind) ?? true)
  for (const [kind, measure] of measured) {
    for (const [index, turns] of sizes.streamTurns.entries()) {
      // The proxies' CPU seconds (/proc) and MB over every turn, for CPU per GiB carried.
      const cpu = [0, 0, 0]
      const carried = [0, 0, 0]
      const turn = async (which: number, transfer: () => Promise<Sustained>) => {
        const stop = which === 2 ? sampleRss(flocker.pid) : () => 0
        const before = which ? cpuSeconds(pids[which]!) : 0
        const moved = await transfer().finally(() => (peak = Math.max(peak, stop())))
        if (which) cpu[which]! += cpuSeconds(pids[which]!) - before
        carried[which]! += moved.mb
        return moved
      }
      const once = (which: number) => turn(which, () => sustained(() => measure(targets[which]!), 0))
      const began = performance.now()
      const rounds = turns === 'blocks'
        ? await blockRounds(
          (which) => turn(which, () => sustained(() => measure(targets[which]!), sizes.streamSeconds)),
          sizes.streamRounds,
        )
        : await transferRounds(once, sizes.streamRounds * sizes.streamSeconds)
      rounds.forEach((round, i) => log(`${runtime} ${kind} ${turns} round ${i + 1}: ${roundText(round)}`))
      log(`${runtime} ${kind} ${turns}: ${((performance.now() - began) / 1000).toFixed(0)} s`)
      const perGiB = (which: number) => (cpu[which]! / (carried[which]! / 1024)).toFixed(1)
      // Each target's MB/s over all its rounds; a rotation's ratio over its three rounds (each target
      // first, second and third once), for the spread.
      const [direct, viaBare, proxied] = [0, 1, 2].map((which) => rate(rounds, which))
      const rotations = Array.from(
        { length: Math.ceil(rounds.length / ROTATION) },
        (_, i) => rounds.slice(i * ROTATION, (i + 1) * ROTATION),
      ).map((group) => rate(group, 2) / rate(group, 0))
      const label = sizes.streamTurns.length > 1 ? ` [${turns} ${index + 1}]` : ''
      out.set(
        `${kind} (MB/s): flocker / direct${label}`,
        '≥ ×0.9',
        runtime,
        ratioCell(
          proxied! / direct!,
          { min: 0.9 },
          `${proxied!.toFixed(0)}; direct ${direct!.toFixed(0)}; bare ${viaBare!.toFixed(0)} (×${
            (viaBare! / direct!).toFixed(2)
          }); ${rounds.length} rounds, rotations ×${Math.min(...rotations).toFixed(2)}-${
            Math.max(...rotations).toFixed(2)
          }; start-up ${startupPercent(rounds)}%; CPU s/GiB ${perGiB(2)}, bare ${perGiB(1)}`,
        ),
      )
    }
  }
  if (measured.some(([kind]) => kind === 'load')) {
    peak = Math.max(peak, await loadAgainstTee(runtime, fixture, flocker, out))
  }
  out.set('flocker RSS peak during the streams (MiB)', 'flat whatever the size', runtime, {
    text: peak.toFixed(0),
  })
}

const TARGET_NAMES = ['direct', 'bare', 'flocker']

/** What one target carried in one round: MB, seconds, transfers, and seconds before their first bytes. */
interface Sustained {
  readonly mb: number
  readonly seconds: number
  readonly transfers: number
  /** Seconds before the first body byte, summed over the transfers that measure it. */
  readonly firstBytes: number
}

/** One round's line for the log: each target's MB/s (transfers, share of the time spent starting up). */
const roundText = (round: readonly Sustained[]) =>
  [0, 1, 2].map((which) => {
    const s = round[which]!
    const startup = s.firstBytes ? `, start-up ${((100 * s.firstBytes) / s.seconds).toFixed(0)}%` : ''
    return `${TARGET_NAMES[which]} ${(s.mb / s.seconds).toFixed(0)} (${s.transfers}×${startup})`
  }).join(', ') + ` (load ${loadavg()[0]!.toFixed(1)})`

/** The share of all rounds' time spent before first bytes (0 where the kind does not measure it). */
function startupPercent(rounds: readonly Sustained[][]): string {
  const all = rounds.flat()
  const sum = (pick: (s: Sustained) => number) => all.reduce((total, s) => total + pick(s), 0)
  return ((100 * sum((s) => s.firstBytes)) / sum((s) => s.seconds)).toFixed(0)
}

/** Three targets: a whole rotation is three rounds, each target in each place once. */
const ROTATION = 3

/** One target's MB/s over `rounds`: all it carried over all the time it took. */
function rate(rounds: readonly Sustained[][], which: number): number {
  const mb = rounds.reduce((total, round) => total + round[which]!.mb, 0)
  return mb / rounds.reduce((total, round) => total + round[which]!.seconds, 0)
}

/**
 * The default turns: rounds of ONE transfer per target, the order rotating, until the three have spent
 * `budget` seconds each on average and the rotation is whole (each target first, second and third alike). The others'
 * load moves the engine's speed by up to ×2 within seconds, so a round whose three transfers follow
 * each other within a second or two compares them on the same machine, and a figure rests on many
 * such rounds. One unmeasured transfer per target first.
 */
export async function transferRounds(
  once: (which: number) => Promise<Sustained>,
  budget: number,
): Promise<Sustained[][]> {
  // The warm-up's time counts in the budget, so the part takes what the older blocks took.
  let spent = 0
  for (let which = 0; which < 3; which++) spent += (await once(which)).seconds
  const rounds: Sustained[][] = []
  while (spent < 3 * budget || rounds.length % ROTATION) {
    const round: Sustained[] = []
    for (let turn = 0; turn < 3; turn++) {
      const which = (rounds.length + turn) % 3
      round[which] = await once(which)
      spent += round[which]!.seconds
    }
    rounds.push(round)
  }
  return rounds
}

/**
 * The older turns (`--stream-turns=blocks`, for an A/B): each target repeats its transfer for a block of
 * seconds, `count` rounds (the figure was then the median of the rounds' ratios; now it is summed alike).
 */
async function blockRounds(
  block: (which: number) => Promise<Sustained>,
  count: number,
): Promise<Sustained[][]> {
  const rounds: Sustained[][] = []
  for (let r = 0; r < count; r++) {
    const round: Sustained[] = []
    for (let turn = 0; turn < 3; turn++) round[(r + turn) % 3] = await block((r + turn) % 3)
    rounds.push(round)
  }
  return rounds
}

/** `transfer` repeated until `seconds` have passed (one short stream's start-up noise is diluted). */
async function sustained(transfer: () => Promise<Transfer>, seconds: number): Promise<Sustained> {
  let bytes = 0
  let spent = 0
  let transfers = 0
  let firstBytes = 0
  do {
    const t = await transfer()
    bytes += t.bytes
    spent += t.seconds
    firstBytes += t.firstByte ?? 0
    transfers++
  } while (spent < seconds)
  return { mb: bytes / MB, seconds: spent, transfers, firstBytes }
}

/** One `docker load` of the fixture's image through `target` (the image removed first from every engine). */
async function loadTransfer(fixture: RealFixture, target: Target): Promise<Transfer> {
  await Promise.all(
    fixture.engines.engines.map((e) =>
      call(targetOf(e.url), 'DELETE', '/v1.41/images/bench-big:latest').catch(() => {})
    ),
  )
  return await upload(target, '/v1.41/images/load?quiet=1', fixture.imageTar!)
}

/**
 * Through flocker a load goes to all three engines, which write it on two shared cores: beside direct
 * (one engine), it is judged against the fair floor, bench/bare-tee.ts sending the same bytes to the
 * three at once, taking turns with flocker. Returns flocker's RSS peak.
 */
async function loadAgainstTee(
  runtime: RuntimeName,
  fixture: RealFixture,
  flocker: Served,
  out: SectionBuilder,
): Promise<number> {
  const tee = await bareTeeOn(runtime, fixture.engines.engines.map((e) => e.url))
  try {
    const best = { tee: 0, flocker: 0 }
    let peak = 0
    for (let round = 0; round < LOAD_ROUNDS; round++) {
      best.tee = Math.max(best.tee, mbps(await loadTransfer(fixture, targetOf(tee.url))))
      const stop = sampleRss(flocker.pid)
      const figure = await loadTransfer(fixture, targetOf(flocker.url)).then(mbps).finally(
        () => (peak = Math.max(peak, stop())),
      )
      best.flocker = Math.max(best.flocker, figure)
    }
    out.set(
      'load to every host (MB/s): flocker / bare tee to the 3 engines',
      '≥ ×0.9 of that floor',
      runtime,
      ratioCell(
        best.flocker / best.tee,
        { min: 0.9 },
        `${best.flocker.toFixed(0)}; tee ${best.tee.toFixed(0)}`,
      ),
    )
    return peak
  } finally {
    await tee.stop()
  }
}

/** Rounds of the load against the bare tee, in turns (the best of each). */
const LOAD_ROUNDS = 2

/** Runs one part; a failure (an engine that died, a hang) is written into the results, not lost. */
export async function recorded(
  out: SectionBuilder,
  runtime: string,
  part: () => Promise<void>,
): Promise<void> {
  try {
    await part()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    log(`${runtime}: failed: ${message}`)
    out.set('(this part failed)', '', runtime, { text: message.slice(0, 200) })
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
