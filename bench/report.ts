import type { Figures } from './measure.ts'

/** flocker's memory in MiB (RSS from /proc/PID/status). */
export interface MemoryFigures {
  rssStart: number
  rssAfterRequests: number
  rssPeakStream: number
  rssEnd: number
  hwm: number
}

export interface RuntimeResult {
  readonly direct: Figures
  readonly flocker: Figures
  readonly memory: MemoryFigures
}

export interface Scenario {
  readonly title: string
  /** What "direct" is in this scenario. */
  readonly against: string
  readonly results: Record<string, RuntimeResult>
}

type Row = readonly [label: string, key: keyof Figures, unit: string, digits: number]

const ROWS: readonly Row[] = [
  ['`/_ping` p50', 'pingP50', 'ms', 2],
  ['`/_ping` p99', 'pingP99', 'ms', 2],
  ['inspect p50', 'inspectP50', 'ms', 2],
  ['inspect p99', 'inspectP99', 'ms', 2],
  ['`/_ping` concurrent', 'pingRps', 'req/s', 0],
  ['inspect concurrent', 'inspectRps', 'req/s', 0],
  ['attach stream', 'attachMBps', 'MB/s', 1],
  ['`docker run -i cat`', 'cliMBps', 'MB/s', 1],
]

const MEMORY_ROWS: readonly [string, keyof MemoryFigures][] = [
  ['RSS at start', 'rssStart'],
  ['RSS after the requests', 'rssAfterRequests'],
  ['RSS peak during streams', 'rssPeakStream'],
  ['RSS at the end', 'rssEnd'],
  ['VmHWM (peak of life)', 'hwm'],
]

const fixed = (value: number | undefined, digits: number) => value === undefined ? '–' : value.toFixed(digits)

/** flocker/direct for one figure (latency: >1 is slower; rates: <1 is slower). */
export function ratio(direct: Figures, flocker: Figures, key: keyof Figures): number | undefined {
  const d = direct[key]
  const f = flocker[key]
  return d === undefined || f === undefined || d === 0 ? undefined : f / d
}

/** A markdown table: one row per figure, per runtime: direct, flocker, flocker/direct. */
export function scenarioTable(scenario: Scenario): string {
  const names = Object.keys(scenario.results)
  const header = ['figure', ...names.flatMap((n) => [`direct (${n} run)`, `flocker on ${n}`, 'ratio'])]
  const lines = [
    `### ${scenario.title}`,
    '',
    `direct = ${scenario.against}; ratio = flocker / direct. Small requests alternate between the two in 5 rounds; streams run back to back.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ]
  for (const [label, key, unit, digits] of ROWS) {
    if (names.every((n) => scenario.results[n]!.flocker[key] === undefined)) continue
    const cells = names.flatMap((n) => {
      const { direct, flocker } = scenario.results[n]!
      const r = ratio(direct, flocker, key)
      return [
        fixed(direct[key], digits),
        fixed(flocker[key], digits),
        r === undefined ? '–' : `×${r.toFixed(2)}`,
      ]
    })
    lines.push(`| ${label} (${unit}) | ${cells.join(' | ')} |`)
  }
  for (const [label, key] of MEMORY_ROWS) {
    const cells = names.flatMap((n) => ['', fixed(scenario.results[n]!.memory[key], 1), ''])
    lines.push(`| flocker ${label} (MiB) | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}
