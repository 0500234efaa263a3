import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

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
 * The process that really serves `port`: the command we spawned may be a launcher, and may have
 * helpers of its own (tsx runs an esbuild service), so take the descendant that holds the listening
 * socket.
 */
export function servingProcess(pid: number, port?: number): number {
  const family = descendants(pid)
  if (port === undefined) return family[family.length - 1]!
  const inodes = listeningInodes(port)
  for (const candidate of family) {
    try {
      for (const fd of readdirSync(`/proc/${candidate}/fd`)) {
        const link = readlinkSync(`/proc/${candidate}/fd/${fd}`)
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1]
        if (inode && inodes.has(inode)) return candidate
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return pid
}

function descendants(pid: number): number[] {
  const out = [pid]
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]!))
  return out
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
        if (list) out.push(...list.split(' ').map(Number))
      } catch {
        // the thread ended while we looked
      }
    }
  } catch {
    // the process ended
  }
  return out
}

/** Inodes of the sockets listening on a TCP port (IPv4 and IPv6), from /proc/net/tcp*. */
function listeningInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]!)
    }
  }
  return inodes
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
