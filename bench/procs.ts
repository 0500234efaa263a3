/** The processes a benchmark starts: flocker, the bare proxy and the simulator, on each runtime. */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  freePort,
  type RunningFlocker,
  type RunningProcess,
  type RuntimeName,
  scriptCommand,
  spawnUntilListening,
  startFlocker,
  V8_FLAGS,
} from '../tests/support/flocker.ts'
import { memoryOf, servingProcess } from './memory.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))

export interface Served {
  readonly url: string
  /** The process that serves (a launcher's leaf), for CPU and memory. */
  readonly pid: number
  stop(): Promise<void>
}

export async function flockerOn(
  runtime: RuntimeName,
  nodes: readonly string[],
  extra: string[] = [],
): Promise<Served> {
  const flocker: RunningFlocker = await startFlocker(
    runtime,
    [...nodes.map((n) => `--node=${n}`), ...extra],
    {},
    V8_FLAGS,
  )
  return {
    url: flocker.dockerHost,
    pid: servingProcess(flocker.process.pid!, flocker.port),
    stop: () => flocker.stop(),
  }
}

/**
 * flocker from a checkout's source (another one's src/server.ts and node_modules, to compare with
 * this one), with `runtimeFlags` for the runtime itself (`--cpu-prof`).
 */
export async function otherFlocker(
  runtime: RuntimeName,
  root: string,
  nodes: readonly string[],
  extra: readonly string[] = [],
  runtimeFlags: readonly string[] = [],
): Promise<Served> {
  const port = await freePort()
  const [command, base] = scriptCommand(
    runtime,
    `${root}/${runtime === 'deno' ? 'mod.ts' : 'src/server.ts'}`,
    V8_FLAGS,
  )
  const args = runtime === 'node' ? [...runtimeFlags, ...base] : [base[0]!, ...runtimeFlags, ...base.slice(1)]
  const child = await spawnUntilListening(`flocker of ${root}`, command, [
    ...args,
    '-H',
    `tcp://127.0.0.1:${port}`,
    ...nodes.map((node) => `--node=${node}`),
    ...extra,
  ])
  return {
    url: `tcp://127.0.0.1:${port}`,
    pid: servingProcess(child.process.pid!, port),
    stop: () => child.stop(),
  }
}

export function bareProxyOn(runtime: RuntimeName, upstreamUrl: string): Promise<Served> {
  return referenceOn(runtime, 'bare-proxy.ts', [upstreamUrl])
}

/** bench/bare-tee.ts on `runtime`, sending each upload to every one of `upstreamUrls` at once. */
export function bareTeeOn(runtime: RuntimeName, upstreamUrls: readonly string[]): Promise<Served> {
  return referenceOn(runtime, 'bare-tee.ts', upstreamUrls)
}

/** One of the bench's reference servers (`script PORT UPSTREAM_PORT...`) on `runtime`. */
async function referenceOn(
  runtime: RuntimeName,
  script: string,
  upstreamUrls: readonly string[],
): Promise<Served> {
  const port = await freePort()
  const ports = upstreamUrls.map((url) => new URL(url.replace(/^tcp:/, 'http:')).port)
  const [command, args] = scriptCommand(runtime, `${HERE}${script}`, V8_FLAGS)
  const child: RunningProcess = await spawnUntilListening(`${script} on ${runtime}`, command, [
    ...args,
    String(port),
    ...ports,
  ])
  return {
    url: `tcp://127.0.0.1:${port}`,
    pid: servingProcess(child.process.pid!, port),
    stop: () => child.stop(),
  }
}

export interface Simulator {
  readonly urls: string[]
  readonly pid: number
  /** Changes the size of every stream the simulated engines pour. */
  setStreamMb(mb: number): void
  stop(): Promise<void>
}

/** `hosts` simulated engines with `containers` each, in one node process. */
export function startSimulator(hosts: number, containers: number, streamMb = 100): Promise<Simulator> {
  const child: ChildProcess = spawn(process.execPath, [
    '--import',
    'tsx',
    `${HERE}simulator/main.ts`,
    `--hosts=${hosts}`,
    `--containers=${containers}`,
    `--stream-mb=${streamMb}`,
  ], { stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (!line) return
      const { urls } = JSON.parse(line) as { urls: string[] }
      resolve({
        urls,
        pid: child.pid!,
        setStreamMb: (mb) => child.stdin!.write(`stream-mb ${mb}\n`),
        stop: () =>
          new Promise((done) => {
            child.once('close', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}`)))
  })
}

/** /proc/PID/stat's fields after the command's name: [0] is field 3 (state), [n] field n + 3. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** CPU seconds (user + system: fields 14 and 15) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The kernel's share of a process's CPU so far (stime, field 15), in seconds. */
export function systemSeconds(pid: number): number {
  return Number(statFields(pid)[12]) / 100
}

/** Minor page faults so far (field 10): fresh pages the process touched, a count. */
export function minorFaults(pid: number): number {
  return Number(statFields(pid)[7])
}

export const rssOf = (pid: number) => memoryOf(pid).rss
