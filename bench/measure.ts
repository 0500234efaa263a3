import { spawn } from 'node:child_process'
import { DOCKER, IMAGE, NET } from '../tests/support/docker.ts'
import { attachStream, burstSeconds, call, latencySamples, latencyStats, type Target } from './http.ts'

export interface Sizes {
  /** Sequential requests per latency figure. */
  readonly requests: number
  /** Requests per throughput figure, sent from `concurrency` connections. */
  readonly concurrentRequests: number
  readonly concurrency: number
  /** MB the attach stream carries (0: skip). */
  readonly streamMb: number
  /** MB piped through `docker run -i cat` (0: skip; real engines only). */
  readonly cliMb: number
}

/** What one endpoint (direct or through flocker) measured. Times in ms, rates per second. */
export interface Figures {
  pingP50: number
  pingP99: number
  inspectP50: number
  inspectP99: number
  pingRps: number
  inspectRps: number
  attachMBps?: number
  cliMBps?: number
}

const MB = 1024 * 1024

/**
 * The small-request figures of two endpoints, taken in alternating rounds (direct, flocker, flocker,
 * direct, ...) so that load from elsewhere on the machine falls on both alike.
 */
export async function smallRequestsPaired(
  targets: readonly [direct: Target, flocker: Target],
  inspectPath: string,
  sizes: Sizes,
  rounds = 5,
): Promise<[Figures, Figures]> {
  const samples = targets.map(() => ({
    ping: [] as number[],
    inspect: [] as number[],
    pingS: 0,
    inspectS: 0,
  }))
  const perRound = (n: number) => Math.max(1, Math.round(n / rounds))
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [1, 0] : [0, 1]
    for (const i of order) {
      const target = targets[i]!
      const into = samples[i]!
      into.ping.push(...await latencySamples(target, '/_ping', perRound(sizes.requests)))
      into.inspect.push(...await latencySamples(target, inspectPath, perRound(sizes.requests)))
      const count = perRound(sizes.concurrentRequests)
      into.pingS += await burstSeconds(target, '/_ping', count, sizes.concurrency)
      into.inspectS += await burstSeconds(target, inspectPath, count, sizes.concurrency)
    }
  }
  const total = perRound(sizes.concurrentRequests) * rounds
  const figures = samples.map((s): Figures => {
    const ping = latencyStats(s.ping)
    const inspect = latencyStats(s.inspect)
    return {
      pingP50: ping.p50,
      pingP99: ping.p99,
      inspectP50: inspect.p50,
      inspectP99: inspect.p99,
      pingRps: total / s.pingS,
      inspectRps: total / s.inspectS,
    }
  })
  return [figures[0]!, figures[1]!]
}

/** Creates a container through `target` that writes `mb` MB of zeros, attaches raw, measures MB/s. */
export async function attachFigure(target: Target, mb: number): Promise<number> {
  const created = JSON.parse(
    await call(target, 'POST', '/v1.41/containers/create', {
      Image: IMAGE,
      Cmd: ['head', '-c', String(mb * MB), '/dev/zero'],
      HostConfig: { NetworkMode: 'none' },
    }),
  ) as { Id: string }
  try {
    const { bytes, seconds } = await attachStream(target, created.Id)
    if (bytes < mb * MB) throw new Error(`attach stream ended after ${bytes} of ${mb * MB} bytes`)
    return mb / seconds
  } finally {
    await call(target, 'DELETE', `/v1.41/containers/${created.Id}?force=1`).catch(() => {})
  }
}

/** `docker run --rm -i cat` with `mb` MB piped in and read back: wall-clock MB/s, start-up included. */
export function cliFigure(dockerHost: string, mb: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
      env: { ...process.env, DOCKER_HOST: dockerHost },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const start = performance.now()
    let received = 0
    let errors = ''
    child.stdout.on('data', (chunk: Buffer) => (received += chunk.byteLength))
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk))
    child.stdin.on('error', () => {})
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const seconds = (performance.now() - start) / 1000
      if (code !== 0 || received !== mb * MB) {
        reject(new Error(`docker run -i cat: exit ${code}, ${received} of ${mb * MB} bytes back; ${errors}`))
      } else resolve(mb / seconds)
    })
    void feed(child.stdin, mb)
  })
}

async function feed(stdin: NodeJS.WritableStream, mb: number): Promise<void> {
  const block = Buffer.alloc(MB, 'x')
  for (let i = 0; i < mb; i++) {
    if (!stdin.write(block)) await new Promise((resolve) => stdin.once('drain', resolve))
  }
  stdin.end()
}
