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
 *
 * Each try also prints the first list's time and, over the lists asked while the cache fills, their
 * time and how many hosts each asked live (X-Flocker-List: `cached` none, `partly cached, N of M hosts
 * asked live` N, absent every host).
 */
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { RuntimeName } from '../tests/support/flocker.ts'
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
    const answer = await get(target, LIST)
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
  const flocker = await otherFlocker(runtime, root, nodes, ['--list-cache=on'])
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
  return ok
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
