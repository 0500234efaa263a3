/**
 * The scale part's 500-host step, cut to what failed: flocker started in front of N simulated hosts
 * and `ps -a` asked at once, then again until every container shows. Prints each try's first
 * answers (status, the 503's words, X-Flocker-Missing-Hosts) and, at the first failure, flocker's
 * sockets, descriptors and limits and the machine's TIME_WAIT count.
 *
 *   node --import tsx bench/scale-first.ts [--runtime=node] [--hosts=500] [--tries=3] \
 *     [--roots=CHECKOUT,CHECKOUT]
 *
 * --roots: flockers of these checkouts take turns, one try each per round (A/B/A/B).
 * --hog=S: two busy processes for S seconds from flocker's start (a machine still busy with what ran
 * before, such as the streams part's engines shutting down).
 * --cheap-poll: asks `ps -a --last 1` (`limit=1`) while waiting, as the scale part now does.
 * --poll=MS: the pause between lists while waiting for the list cache (100, as the scale part).
 * --after-change=N: once the cache answers, N times: a container of sim1 stopped or started through
 * flocker, and `ps -a` at once (sim1 stale, every other host synced); prints those lists' times.
 * --cpu-prof=DIR (Node): flocker runs under --cpu-prof into DIR/TRY; prints where its CPU went while
 * those lists were answered (samples within them only: self time, and time inside each function).
 *
 * Each try also prints the first list's time and, over the lists asked while the cache fills, their
 * time and how many hosts each asked live (X-Flocker-List: `cached` none, `partly cached, N of M hosts
 * asked live` N, absent every host).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { RuntimeName } from '../tests/support/flocker.ts'
import { type CpuProfile, summarise } from './cpu-profile.ts'
import { type Target, targetOf } from './http.ts'
import { otherFlocker, startSimulator } from './procs.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '')
const arg = (name: string, fallback = '') =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const runtime = arg('runtime', 'node') as RuntimeName
const hosts = Number(arg('hosts', '500'))
const tries = Number(arg('tries', '3'))
const roots = arg('roots', ROOT).split(',')
const hogSeconds = Number(arg('hog', '0'))
const LIST = '/v1.41/containers/json?all=1'
const pollMs = Number(arg('poll', '100'))
/** What is asked while waiting for the cache: `ps -a` itself, or one row of it (the scale part's wait). */
const pollPath = process.argv.includes('--cheap-poll') ? `${LIST}&limit=1` : LIST
const containers = 100
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ')

interface Answer {
  status: number
  body: string
  missing?: string
  list?: string
  /** Time to the whole answer. */
  ms: number
}

function get(target: Target, path: string, method = 'GET'): Promise<Answer> {
  const sent = performance.now()
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method, agent: false, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          missing: res.headers['x-flocker-missing-hosts'] as string | undefined,
          list: res.headers['x-flocker-list'] as string | undefined,
          ms: performance.now() - sent,
        }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('no answer in 120 s')))
    req.end()
  })
}

function sh(command: string): string {
  try {
    return execFileSync('sh', ['-c', command], { encoding: 'utf8' }).trim()
  } catch (error) {
    return `(${(error as Error).message.split('\n')[0]})`
  }
}

/** flocker's descriptors, its TCP sockets by state, its open-files limit; the machine's TIME_WAIT. */
function snapshot(pid: number): string {
  const fds = (() => {
    try {
      return readdirSync(`/proc/${pid}/fd`).length
    } catch {
      return -1
    }
  })()
  const limit = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) =>
    l.startsWith('Max open files')
  )
  const states = sh(`ss -tanp | grep 'pid=${pid},' | awk '{print $1}' | sort | uniq -c | tr '\\n' ' '`)
  const timeWait = sh(`ss -tan state time-wait | tail -n +2 | wc -l`)
  const ports = sh('cat /proc/sys/net/ipv4/ip_local_port_range')
  return `fds ${fds}; ${
    limit?.replace(/\s+/g, ' ')
  }; flocker's TCP: ${states}; TIME_WAIT (machine) ${timeWait}; ports ${ports}`
}

const afterChanges = Number(arg('after-change', '0'))
const profileDir = arg('cpu-prof')
/** [start, end] of each list after a change, in µs of the monotonic clock a .cpuprofile counts in. */
const listWindows: [number, number][] = []
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

/** `ps -a` right after each of `afterChanges` changes made through flocker on sim1 (see --after-change). */
async function listsAfterChanges(target: Target): Promise<void> {
  const onSim1 = encodeURIComponent(JSON.stringify({ node: ['sim1'] }))
  const [first] = JSON.parse((await get(target, `${LIST}&limit=1&filters=${onSim1}`)).body) as {
    Id: string
  }[]
  const times: number[] = []
  let live = 0
  for (let i = 0; i < afterChanges; i++) {
    await get(target, `/v1.41/containers/${first!.Id}/${i % 2 ? 'start' : 'stop'}`, 'POST')
    const start = monotonicUs()
    const answer = await get(target, LIST)
    listWindows.push([start, monotonicUs()])
    times.push(answer.ms)
    live += askedLive(answer)
    await new Promise((r) => setTimeout(r, 300))
  }
  process.stdout.write(
    `  ${afterChanges} lists right after a change on sim1: ${median(times).toFixed(0)} ms p50, ${
      Math.min(...times).toFixed(0)
    }-${Math.max(...times).toFixed(0)}; hosts asked live ${(live / afterChanges).toFixed(1)} on average\n`,
  )
}

/** The hosts a list asked live, by its X-Flocker-List. */
function askedLive(answer: Answer): number {
  if (answer.list === 'cached') return 0
  return Number(/(\d+) of \d+ hosts asked live/.exec(answer.list ?? '')?.[1] ?? hosts)
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

/**
 * Asks until the list cache answers (120 s at most), as the scale part does before measuring; says
 * how long the lists asked meanwhile took and how many hosts each asked live.
 */
async function untilCachedAnswer(target: Target, started: number): Promise<boolean> {
  const filling: Answer[] = []
  const summary = () => {
    if (!filling.length) return ''
    const live = filling.map(askedLive)
    const missing = filling.filter((a) => a.missing).length
    return `; ${filling.length} lists meanwhile: ${median(filling.map((a) => a.ms)).toFixed(0)} ms p50, ${
      Math.max(...filling.map((a) => a.ms)).toFixed(0)
    } max; hosts asked live: ${live[0]} first, ${median(live)} p50, ${live.at(-1)} last${
      missing ? `; ${missing} missing hosts` : ''
    }`
  }
  for (let i = 0; i < 1200; i++) {
    const answer = await get(target, pollPath)
    if (answer.list === 'cached') {
      process.stdout.write(`  cached at ${(performance.now() - started).toFixed(0)} ms${summary()}\n`)
      return true
    }
    filling.push(answer)
    await new Promise((r) => setTimeout(r, pollMs))
  }
  process.stdout.write(`  the list cache never answered in 120 s${summary()}\n`)
  return false
}

async function oneTry(root: string, sim: Awaited<ReturnType<typeof startSimulator>>): Promise<boolean> {
  const nodes = sim.urls.map((url, i) => `sim${i + 1}=${url}`)
  const started = performance.now()
  const hogs = Array.from(
    { length: hogSeconds ? 2 : 0 },
    () => spawn('timeout', [String(hogSeconds), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }),
  )
  const profileTo = profileDir && `${profileDir}/${root.replace(/\W+/g, '_')}-${Date.now()}`
  if (profileTo) mkdirSync(profileTo, { recursive: true })
  const flags = profileTo ? ['--cpu-prof', `--cpu-prof-dir=${profileTo}`] : []
  const flocker = await otherFlocker(runtime, root, nodes, ['--list-cache=on'], flags)
  const target = targetOf(flocker.url)
  const expected = hosts * containers
  let ok = true
  try {
    for (let i = 0; i < 600; i++) {
      const at = performance.now() - started
      const answer = await get(target, LIST)
      if (answer.status !== 200) {
        ok = false
        process.stdout.write(
          `  list ${i} at ${at.toFixed(0)} ms: ${answer.status} ${answer.body.slice(0, 400)}\n    ${
            snapshot(flocker.pid)
          }\n`,
        )
        break
      }
      const rows = (JSON.parse(answer.body) as unknown[]).length
      if (i === 0 || rows >= expected) {
        const missing = answer.missing
          ? ` missing: ${answer.missing.slice(0, 200)} … ${answer.missing.slice(-60)}`
          : ''
        process.stdout.write(
          `  list ${i} at ${at.toFixed(0)} ms: 200 in ${answer.ms.toFixed(0)} ms, ${rows} rows (${
            answer.list ?? '-'
          })${missing}\n`,
        )
      }
      if (rows >= expected) break
      await new Promise((r) => setTimeout(r, 100))
    }
    if (ok) ok = await untilCachedAnswer(target, started)
    if (ok && afterChanges) await listsAfterChanges(target)
  } finally {
    await flocker.stop()
    for (const hog of hogs) hog.kill()
  }
  if (profileTo && listWindows.length) printWindowProfile(profileTo, listWindows.splice(0))
  return ok
}

/** Where flocker's CPU went within `windows` (the lists after a change), by its profile in `dir`. */
function printWindowProfile(dir: string, windows: [number, number][]): void {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
  if (!file) return void process.stdout.write(`  no .cpuprofile in ${dir}\n`)
  const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CpuProfile & { startTime: number }
  const kept: CpuProfile = { nodes: profile.nodes, samples: [], timeDeltas: [] }
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (!windows.some(([start, end]) => start <= at && at <= end)) return
    kept.samples.push(id)
    kept.timeDeltas.push(profile.timeDeltas[i] ?? 0)
  })
  process.stdout.write(
    `${summarise(kept, windows.length, 'list', true)}\n\n${inclusive(kept, windows.length)}\n`,
  )
}

/** ms per list inside each function (itself and what it calls), the 25 largest. */
function inclusive(profile: CpuProfile, lists: number): string {
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const within = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame
      seen.add(
        `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${
          lineNumber + 1
        }`,
      )
    }
    for (const name of seen) within.set(name, (within.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const rows = [...within].sort((a, b) => b[1] - a[1]).slice(0, 25)
  return ['| inside (ms per list) | |', '| --- | ---: |']
    .concat(
      rows.map(([name, us]) => `| \`${name.replace(/\|/g, '\\|')}\` | ${(us / 1000 / lists).toFixed(1)} |`),
    )
    .join('\n')
}

console.log(`${runtime}, ${hosts} hosts, ${tries} tries of ${roots.join(' / ')}; load ${load()}`)
const sim = await startSimulator(hosts, containers)
const passed = new Map(roots.map((root) => [root, 0]))
try {
  for (let t = 0; t < tries; t++) {
    for (const root of roots) {
      console.log(`try ${t + 1}, ${root} (load ${load()})`)
      if (await oneTry(root, sim)) passed.set(root, passed.get(root)! + 1)
    }
  }
} finally {
  await sim.stop()
}
for (const [root, n] of passed) console.log(`${root}: ${n} of ${tries} passed`)
console.log(`load at the end ${load()}`)
