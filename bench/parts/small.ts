/**
 * Small routed requests: container inspect, top and image inspect, one client on keep-alive (p50,
 * p99) and 16 clients (req/s), directly to the engine, through the bare proxy and through flocker,
 * in alternating rounds. CPU per request from /proc of the bare proxy and of flocker.
 */
import type { RuntimeName } from '../../tests/support/flocker.ts'
import { burstSeconds, latencySamples, latencyStats, type Target, targetOf } from '../http.ts'
import { cpuSeconds, type Served } from '../procs.ts'
import { ms, ratioCell, type SectionBuilder } from '../report.ts'

export interface SmallSizes {
  readonly requests: number
  readonly concurrentRequests: number
  readonly concurrency: number
  readonly rounds: number
}

interface Samples {
  latencies: number[]
  burstS: number
  burstN: number
  cpuS: number
  requests: number
}

const SWARM_CLASSIC_INSPECT = 2.14

export async function smallRequests(
  runtime: RuntimeName,
  direct: string,
  bare: Served,
  flocker: Served,
  paths: Record<string, string>,
  sizes: SmallSizes,
  out: SectionBuilder,
): Promise<void> {
  const who = [
    { name: 'direct', target: targetOf(direct), pid: 0 },
    { name: 'bare', target: targetOf(bare.url), pid: bare.pid },
    { name: 'flocker', target: targetOf(flocker.url), pid: flocker.pid },
  ]
  const samples = new Map<string, Samples>()
  const key = (w: string, p: string) => `${w} ${p}`
  for (const w of who) {
    for (const p of Object.keys(paths)) {
      samples.set(key(w.name, p), { latencies: [], burstS: 0, burstN: 0, cpuS: 0, requests: 0 })
    }
  }
  const per = (n: number) => Math.max(1, Math.round(n / sizes.rounds))
  for (let round = 0; round < sizes.rounds; round++) {
    // Rotate who goes first, so drift in the machine's load falls on each alike.
    const order = who.map((_, i) => who[(i + round) % who.length]!)
    for (const w of order) {
      for (const [label, path] of Object.entries(paths)) {
        const s = samples.get(key(w.name, label))!
        const cpuBefore = w.pid ? cpuSeconds(w.pid) : 0
        s.latencies.push(...await latencySamples(w.target, path, per(sizes.requests)))
        s.burstS += await burstSeconds(w.target, path, per(sizes.concurrentRequests), sizes.concurrency)
        s.burstN += per(sizes.concurrentRequests)
        if (w.pid) s.cpuS += cpuSeconds(w.pid) - cpuBefore
        // latencySamples warms up with 20 more, the burst with 2 per connection.
        s.requests += per(sizes.requests) + Math.min(20, per(sizes.requests)) +
          per(sizes.concurrentRequests) +
          sizes.concurrency * 2
      }
    }
  }
  const p50Limit = runtime === 'deno' ? 1.25 : 1.10
  for (const label of Object.keys(paths)) {
    const [d, b, f] = ['direct', 'bare', 'flocker'].map((w) => samples.get(key(w, label))!) as [
      Samples,
      Samples,
      Samples,
    ]
    const [ld, lb, lf] = [d, b, f].map((s) => latencyStats(s.latencies))
    out.set(
      `${label}: p50, one client (flocker / bare)`,
      `≤ ×1.10 bare (Deno ≤ ×1.25)`,
      runtime,
      ratioCell(lf!.p50 / lb!.p50, { max: p50Limit }, `${ms(lf!.p50)}; bare ${ms(lb!.p50)}`),
    )
    out.set(
      `${label}: p50 (flocker / direct)`,
      `< ×${SWARM_CLASSIC_INSPECT} (Swarm classic)`,
      runtime,
      ratioCell(
        lf!.p50 / ld!.p50,
        { max: SWARM_CLASSIC_INSPECT },
        `direct ${ms(ld!.p50)}; bare ×${(lb!.p50 / ld!.p50).toFixed(2)}`,
      ),
    )
    out.set(
      `${label}: p99, one client (flocker / bare)`,
      '≤ ×1.3 bare',
      runtime,
      ratioCell(
        lf!.p99 / lb!.p99,
        { max: 1.3 },
        `${ms(lf!.p99)}; bare ${ms(lb!.p99)}; direct ${ms(ld!.p99)}`,
      ),
    )
    const rps = (s: Samples) => s.burstN / s.burstS
    out.set(
      `${label}: ${sizes.concurrency} clients, req/s (flocker / bare)`,
      '≥ ×0.85 bare',
      runtime,
      ratioCell(
        rps(f) / rps(b),
        { min: 0.85 },
        `${rps(f).toFixed(0)}/s; bare ${rps(b).toFixed(0)}/s; direct ${rps(d).toFixed(0)}/s`,
      ),
    )
    const us = (s: Samples) => (s.cpuS / s.requests) * 1e6
    out.set(`${label}: CPU per request (µs)`, 'say where it goes', runtime, {
      text: `${us(f).toFixed(0)} µs (bare ${us(b).toFixed(0)} µs)`,
      value: us(f),
    })
  }
}

export type { Target }
