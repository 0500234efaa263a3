import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { after, before } from 'node:test'
import { removeContainers } from './docker.ts'

export type RuntimeName = 'node' | 'bun' | 'deno'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = `${ROOT}node_modules/.bin`

/** The runtimes the e2e tests cover: FLOCKER_RUNTIMES=node,bun,deno (default all three). */
export function runtimes(): RuntimeName[] {
  return (process.env.FLOCKER_RUNTIMES ?? 'node,bun,deno').split(',').filter(Boolean) as RuntimeName[]
}

/** The command a user types to run flocker on each runtime. */
export function commandFor(runtime: RuntimeName, nodeFlags: readonly string[] = []): [string, string[]] {
  return scriptCommand(runtime, runtime === 'deno' ? `${ROOT}mod.ts` : `${ROOT}src/server.ts`, nodeFlags)
}

/**
 * The V8 flags flocker's bin and `npm start` run Node with (scripts/bundle.mjs says why), and `deno task
 * start` Deno with (`--v8-flags=`: the same first limit, the same full collections every few MB of a
 * download without it). The bench runs every Node and Deno script with them (bench/procs.ts), flocker and
 * the bare proxy alike, and the tests start flocker with them (startFlocker), so that what is tested is
 * what users run.
 */
export const V8_FLAGS = ['--initial-old-space-size=64']

/** How each runtime runs a TypeScript file of this project (Deno with the permissions deno.json declares). */
export function scriptCommand(
  runtime: RuntimeName,
  file: string,
  nodeFlags: readonly string[] = [],
): [string, string[]] {
  switch (runtime) {
    case 'node':
      return [process.execPath, [...nodeFlags, '--import', 'tsx', file]]
    case 'bun':
      return [`${BIN}/bun`, ['run', file]]
    case 'deno':
      return [`${BIN}/deno`, [
        'run',
        ...(nodeFlags.length > 0 ? [`--v8-flags=${nodeFlags.join(',')}`] : []),
        '--allow-net',
        '--allow-read',
        '--allow-write',
        '--allow-env',
        '--allow-sys',
        file,
      ]]
  }
}

export interface RunningFlocker extends RunningProcess {
  readonly runtime: RuntimeName
  /** `tcp://127.0.0.1:PORT`, for DOCKER_HOST. */
  readonly dockerHost: string
  readonly port: number
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Starts flocker on a runtime with the given flags, on a free port; resolves once it listens. */
export async function startFlocker(
  runtime: RuntimeName,
  args: readonly string[],
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = V8_FLAGS,
): Promise<RunningFlocker> {
  const port = await freePort()
  const [command, base] = commandFor(runtime, nodeFlags)
  const child = await spawnUntilListening(`flocker on ${runtime}`, command, [
    ...base,
    '-H',
    `tcp://127.0.0.1:${port}`,
    ...args,
  ], env)
  return { runtime, port, dockerHost: `tcp://127.0.0.1:${port}`, ...child }
}

export interface RunningProcess {
  readonly process: ChildProcess
  /** Everything it printed so far. */
  output(): string
  stop(): Promise<void>
}

/**
 * Spawns a server and resolves once it prints "listening on". `group`: for a wrapper (npm start) that
 * does not pass SIGTERM on: the server gets a process group of its own and stop() signals the group.
 */
export async function spawnUntilListening(
  what: string,
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
  { group = false } = {},
): Promise<RunningProcess> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  })
  const signal = (name: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, name)
      else child.kill(name)
    } catch {
      // already gone
    }
  }
  let output = ''
  let closed = false
  child.on('close', () => (closed = true))
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), 60_000)
    const check = () => {
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', check)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited with ${code}:\n${output}`))
    })
  })
  return {
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (closed) return resolve()
        // 'close': every process that held its output (a wrapper's child too) is gone.
        child.once('close', () => resolve())
        signal('SIGTERM')
        setTimeout(() => signal('SIGKILL'), 5_000).unref()
      }),
  }
}

/**
 * One flocker for a describe() block, in front of the file's engines: started in before(), stopped in
 * after(), once every container named `${cleanup}...` is removed.
 */
export function flockerForSuite(
  runtime: RuntimeName,
  engines: () => { engines: readonly { flag: string }[] },
  cleanup: string,
): () => RunningFlocker {
  let flocker: RunningFlocker | undefined
  before(async () => {
    flocker = await startFlocker(runtime, engines().engines.map((e) => `--node=${e.flag}`))
  })
  after(async () => {
    if (flocker) await removeContainers(flocker.dockerHost, cleanup)
    await flocker?.stop()
  })
  return () => flocker!
}
