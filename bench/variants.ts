/**
 * The variants file of the A/B tools (download-ab.ts, exec-ab.ts): `[{ "label": "flocker", "command":
 * "node", "args": ["dist/bin/flocker.js", "-H", "tcp://127.0.0.1:{port}", "--node=e={upstream}"],
 * "env": {} }]`; `{port}` is a free port, `{upstream}` the engine's URL, `{upstreamPort}` its port
 * (bench/bare-proxy.ts takes `{port} {upstreamPort}`). A variant without a command is the engine itself.
 */
import { readFileSync } from 'node:fs'
import { freePort, type RunningProcess, spawnUntilListening } from '../tests/support/flocker.ts'
import { servingProcess } from './memory.ts'

export interface Variant {
  readonly label: string
  readonly command?: string
  readonly args?: string[]
  readonly env?: Record<string, string>
}

export interface StartedVariant {
  readonly variant: Variant
  /** http://127.0.0.1:PORT (the engine's own for direct). */
  readonly url: string
  /** The serving process, whose CPU is counted; none for direct. */
  readonly pid?: number
  readonly child?: RunningProcess
}

export function readVariants(path: string): Variant[] {
  return JSON.parse(readFileSync(path, 'utf8')) as Variant[]
}

/** Starts `variant` in front of `upstream` (tcp://HOST:PORT), once it listens. */
export async function startVariant(variant: Variant, upstream: string): Promise<StartedVariant> {
  const upstreamUrl = new URL(upstream.replace('tcp://', 'http://'))
  if (!variant.command) return { variant, url: upstreamUrl.origin }
  const port = await freePort()
  const fill = (arg: string) =>
    arg.replaceAll('{port}', String(port)).replaceAll('{upstream}', upstream)
      .replaceAll('{upstreamPort}', upstreamUrl.port)
  const child = await spawnUntilListening(variant.label, variant.command, (variant.args ?? []).map(fill), {
    ...variant.env,
  })
  return { variant, url: `http://127.0.0.1:${port}`, pid: servingProcess(child.process.pid!, port), child }
}
