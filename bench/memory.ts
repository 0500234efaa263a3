import { readdirSync, readFileSync } from 'node:fs'

/** Memory of one process in MiB, from /proc/PID/status. */
export interface Memory {
  readonly rss: number
  /** The peak RSS over the process's life so far (VmHWM). */
  readonly hwm: number
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024
  return { rss: field('VmRSS'), hwm: field('VmHWM') }
}

/**
 * The process that really serves: the command we spawned may be a launcher (a wrapper that execs or
 * spawns the runtime), so follow the first child down to the leaf.
 */
export function servingProcess(pid: number): number {
  for (;;) {
    const children = childrenOf(pid)
    if (children.length === 0) return pid
    pid = children[0]!
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      if (list) out.push(...list.split(' ').map(Number))
    } catch {
      // the thread ended while we looked
    }
  }
  return out
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest value seen. */
export function sampleRss(pid: number, everyMs = 25): () => number {
  let peak = memoryOf(pid).rss
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryOf(pid).rss)
    } catch {
      // process gone: keep what we saw
    }
  }, everyMs)
  return () => {
    clearInterval(timer)
    return peak
  }
}
