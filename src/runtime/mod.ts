import { bunAdapter } from './bun.ts'
import { denoAdapter } from './deno.ts'
import { nodeAdapter } from './node.ts'
import type { RuntimeAdapter } from './types.ts'

export type * from './types.ts'

/** The adapter for the runtime this process runs on. */
export function detectRuntime(): RuntimeAdapter {
  const global = globalThis as { Bun?: unknown; Deno?: unknown }
  if (global.Bun) return bunAdapter
  if (global.Deno) return denoAdapter
  return nodeAdapter
}
