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
export function commandFor(runtime: RuntimeName): [string, string[]] {
  return scriptCommand(runtime, runtime === 'deno' ? `${ROOT}mod.ts` : `${ROOT}src/server.ts`)
}

/** How each runtime runs a TypeScript file of this project (Deno with the permissions deno.json declares). */
export function scriptCommand(runtime: RuntimeName, file: string): [string, string[]] {
  switch (runtime) {
    case 'node':
      return [process.execPath, ['--import', 'tsx', file]]
    case 'bun':
      return [`${BIN}/bun`, ['run', file]]
    case 'deno':
      return [`${BIN}/deno`, [
        'run',
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
): Promise<RunningFlocker> {
  const port = await freePort()
  const [command, base] = commandFor(runtime)
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

/** Spawns a server and resolves once it prints "listening on". */
export async function spawnUntilListening(
  what: string,
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  })
  let output = ''
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
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
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
