/**
 * Where a warmed-up burst of named creates spends flocker's CPU: reads what `bench/cpu-creates.ts
 * --profile=DIR` wrote (a .cpuprofile and bursts.json per runtime), keeps only the samples taken during
 * the bursts after the first `--skip` (the warm-up: tsx's module loading, the JIT, the name index's
 * fill), and prints self time by function and inclusive time of flocker's own functions, µs per create.
 *
 *   node --import tsx bench/profile-creates.ts DIR/RUNTIME [--skip=5] [--creates=20] [--top=30]
 *
 * A sample's delta is capped at 2 ms, so a process that waited for a core is not charged for the wait.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { CpuProfile } from './cpu-profile.ts'

interface Frame {
  functionName: string
  url: string
  lineNumber: number
}
interface Node {
  id: number
  callFrame: Frame
  children?: number[]
}

const [dir, ...rest] = process.argv.slice(2)
const flags = new Map(rest.map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const skip = Number(flags.get('skip') ?? 5)
const creates = Number(flags.get('creates') ?? 20)
const top = Number(flags.get('top') ?? 30)
const CAP_US = 2000

const file = readdirSync(dir!).find((f) => f.endsWith('.cpuprofile'))!
const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CpuProfile & {
  startTime: number
  nodes: Node[]
}
// Node's profile counts on CLOCK_MONOTONIC, Bun's from the epoch: the windows on the profile's clock.
const onEpoch = profile.startTime > 1e15
const windows = (JSON.parse(readFileSync(`${dir}/bursts.json`, 'utf8')) as number[][]).slice(skip)
  .map(([from, to, fromEpoch, toEpoch]): [number, number] => onEpoch ? [fromEpoch!, toEpoch!] : [from!, to!])
const inWindow = (t: number) => windows.some(([from, to]) => t >= from && t <= to)

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const where = (f: Frame) =>
  f.url ? `${f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${f.lineNumber + 1}` : 'native'
const keyOf = (f: Frame) => `${f.functionName || '(anonymous)'} ${where(f)}`

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
let busy = 0
let t = profile.startTime
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i] ?? 0
  if (!inWindow(t)) return
  const us = Math.min(profile.timeDeltas[i + 1] ?? 0, CAP_US)
  const node = byId.get(id)!
  const name = node.callFrame.functionName
  if (name === '(idle)' || name === '(program)') return
  busy += us
  self.set(keyOf(node.callFrame), (self.get(keyOf(node.callFrame)) ?? 0) + us)
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)!.callFrame
    if (!frame.url.includes('/src/')) continue
    const key = keyOf(frame)
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + us)
  }
})

const count = windows.length * creates
const per = (us: number) => (us / count).toFixed(0)
const table = (title: string, rows: Map<string, number>) => [
  `| ${title} | µs per create |`,
  '| --- | ---: |',
  ...[...rows].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) =>
    `| \`${k.replace(/\|/g, '\\|')}\` | ${per(us)} |`
  ),
]
console.log(
  [
    `${windows.length} bursts of ${creates} creates after ${skip} skipped; busy main-thread CPU ${
      per(busy)
    } µs per create`,
    '',
    ...table('self time', self),
    '',
    ...table('inclusive, flocker src/ functions', inclusive),
  ].join('\n'),
)

/** `--tree`: the call tree, nodes whose inclusive time is at least `--min` µs per create. */
if (flags.has('tree')) {
  const min = Number(flags.get('min') ?? 20) * count
  const total = new Map<number, number>()
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (!inWindow(at)) return
    const name = byId.get(id)!.callFrame.functionName
    if (name === '(idle)' || name === '(program)') return
    const us = Math.min(profile.timeDeltas[i + 1] ?? 0, CAP_US)
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      total.set(n, (total.get(n) ?? 0) + us)
    }
  })
  const print = (id: number, depth: number) => {
    const node = byId.get(id)!
    const us = total.get(id) ?? 0
    if (us < min) return
    console.log(`${'  '.repeat(depth)}${per(us)} ${keyOf(node.callFrame)}`)
    for (const c of node.children ?? []) print(c, depth + 1)
  }
  console.log('')
  print(profile.nodes[0]!.id, 0)
}
