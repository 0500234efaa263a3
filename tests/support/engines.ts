import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { after, before } from 'node:test'
import { run } from './run.ts'

const SCRIPT = fileURLToPath(new URL('../../scripts/local-flock.sh', import.meta.url))

export interface Engine {
  readonly name: string
  readonly url: string
  /** `--node name=url` */
  readonly flag: string
}

export interface LocalEngines {
  readonly engines: Engine[]
  /** `127.0.0.1:PORT` of this flock's registry (engines use it as a mirror for plain names). */
  readonly registry: string
  /** Stops engine i (1-based); its state stays so `start(i)` brings it back. */
  stop(i: number): Promise<void>
  start(i: number): Promise<void>
  /** SIGSTOP to engine i's dockerd: it keeps its sockets open and answers nothing (a frozen host). */
  freeze(i: number): void
  /** SIGCONT: a frozen engine goes on. */
  thaw(i: number): void
  /** SIGKILL to engine i's dockerd (and its containerd), gone when this resolves; `start(i)` brings it back. */
  kill(i: number): Promise<void>
  /** The pid of engine i's dockerd. */
  pid(i: number): number
  down(): Promise<void>
}

export interface EngineOptions {
  /** false: no registry for this flock. */
  readonly registry?: boolean
  /** Engines serve tcp with --tlsverify; certificates (client's: ca.pem, cert.pem, key.pem) made here. */
  readonly tlsDir?: string
  /**
   * Each engine in a network namespace of its own, as on separate machines: its own default bridge,
   * networks and published ports (which this process cannot reach), reached through its unix socket.
   * Default false: engines share this namespace, without bridges, and published ports are reachable.
   */
  readonly netns?: boolean
}

const PORT_LOCKS = '/tmp/flocker-test-ports'

/**
 * Reserves ten consecutive ports (engines at +1..+8, the registry at +9) for one flock: a lock
 * directory per range makes the choice atomic across test processes, and each port is checked free.
 */
async function reservePortRange(): Promise<number> {
  mkdirSync(PORT_LOCKS, { recursive: true })
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 1200) * 10
    try {
      mkdirSync(`${PORT_LOCKS}/${base}`)
    } catch {
      continue // another flock has it
    }
    const free = await Promise.all(Array.from({ length: 9 }, (_, i) => portIsFree(base + 1 + i)))
    if (free.every(Boolean)) return base
    rmSync(`${PORT_LOCKS}/${base}`, { recursive: true, force: true })
  }
  throw new Error('no free range of ten ports for a local flock')
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Whether real engines can run here (root and dockerd); CI must have them. */
export function enginesAvailable(): boolean {
  return process.getuid?.() === 0 && ['/usr/sbin/dockerd', '/usr/bin/dockerd'].some(existsSync)
}

/**
 * Starts `count` real dockerd side by side, in a folder and port range of this test process's own,
 * so test files can run at once. Labels: `{ 1: ['region=eu'] }`.
 */
export async function startEngines(
  count: number,
  labels: Record<number, string[]> = {},
  options: EngineOptions = {},
): Promise<LocalEngines> {
  stopEnginesOnSignals()
  const port = await reservePortRange()
  const env = {
    FLOCK_DIR: `/tmp/flk-${port}`,
    FLOCK_PORT: String(port),
    // A registry of this flock's own, so one test file stopping it never breaks another.
    FLOCK_REGISTRY_PORT: options.registry === false ? '0' : String(port + 9),
    FLOCK_TLS_DIR: options.tlsDir,
    FLOCK_NETNS: options.netns ? '1' : '0',
    FLOCK_LABELS: Object.entries(labels).map(([i, list]) => `${i}:${list.join(',')}`).join(';'),
  }
  const flock = (...args: string[]) => run('bash', [SCRIPT, ...args], { env, timeout: 120_000 })
  const up = await flock('up', String(count))
  if (up.code !== 0) {
    await flock('down') // engines that did start must not outlive the failure
    rmSync(`${PORT_LOCKS}/${port}`, { recursive: true, force: true })
    throw new Error(`local-flock up failed: ${up.err}${up.out}`)
  }
  const engines = up.out.trim().split('\n').map((line) => {
    const flag = line.replace(/^--node /, '')
    const [name, url] = flag.split('=') as [string, string]
    return { name, url, flag }
  })
  const pid = (i: number) => Number(readFileSync(`${env.FLOCK_DIR}/n${i}/pid`, 'utf8').trim())
  const down = async () => {
    running.delete(env.FLOCK_DIR)
    await flock('down')
    rmSync(`${PORT_LOCKS}/${port}`, { recursive: true, force: true })
  }
  running.set(env.FLOCK_DIR, () => {
    spawnSync('bash', [SCRIPT, 'down'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 60_000 })
    rmSync(`${PORT_LOCKS}/${port}`, { recursive: true, force: true })
  })
  return {
    engines,
    registry: `127.0.0.1:${port + 9}`,
    stop: async (i) => void await flock('stop', String(i)),
    start: async (i) => void await flock('start', String(i)),
    freeze: (i) => process.kill(pid(i), 'SIGSTOP'),
    thaw: (i) => process.kill(pid(i), 'SIGCONT'),
    kill: async (i) => {
      const dockerd = pid(i)
      const children = childrenOf(dockerd)
      for (const target of [dockerd, ...children]) signalQuietly(target, 'SIGKILL')
      for (const target of [dockerd, ...children]) await gone(target)
    },
    pid,
    down,
  }
}

/**
 * Engines this process started, each with a synchronous way down: a test run or bench interrupted
 * (Ctrl-C, SIGTERM) must not leave dockerd processes behind.
 */
const running = new Map<string, () => void>()
let handlersInstalled = false

function stopEnginesOnSignals(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const down of running.values()) down()
      running.clear()
      process.kill(process.pid, signal) // the default action now: exit by that signal
    })
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(
      Number,
    )
  } catch {
    return []
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`process ${pid} did not exit`)
}

/** Engines shared by every test of one file: started in before(), down in after(). */
export function enginesForFile(
  count: number,
  labels: Record<number, string[]> = {},
  options: EngineOptions = {},
): () => LocalEngines {
  let engines: LocalEngines | undefined
  before(async () => {
    engines = await startEngines(count, labels, options)
  })
  after(async () => {
    await engines?.down()
  })
  return () => engines!
}
