/**
 * Real servers for the replica tests, each started on loopback by the test: Debian's redis-server,
 * etcd (etcd-server) and HAProxy, and a set of flocker replicas (one per runtime) sharing a store.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type RunningFlocker, type RuntimeName, startFlocker } from './flocker.ts'

/** A server process this test can stop and start again on the same port and data. */
export interface RestartableServer {
  /** `redis://127.0.0.1:PORT`, `etcd://127.0.0.1:PORT`, `tcp://127.0.0.1:PORT`. */
  readonly url: string
  readonly port: number
  stop(): Promise<void>
  start(): Promise<void>
  /** Stopped for good, its files removed. */
  down(): Promise<void>
}

/** Whether the Debian packages the replica tests need are installed (scripts/install.sh adds them). */
export function replicaServersAvailable(): boolean {
  return ['/usr/bin/redis-server', '/usr/bin/etcd', '/usr/sbin/haproxy'].every(existsSync)
}

/** Redis from Debian, in memory only. */
export function startRedis(): Promise<RestartableServer> {
  return restartable(
    'redis',
    (
      port,
    ) => ['redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]],
  )
}

/** etcd from Debian, one member, its data in a folder of its own (kept across stop/start). */
export function startEtcd(): Promise<RestartableServer> {
  // In memory where there is /dev/shm: etcd syncs every write, which a busy test machine's disk makes slow.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'flocker-etcd-'))
  return restartable('etcd', (port, peer) => ['etcd', [
    '--data-dir',
    dir,
    '--listen-client-urls',
    `http://127.0.0.1:${port}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${port}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-cluster',
    `default=http://127.0.0.1:${peer}`,
  ]], () => rmSync(dir, { recursive: true, force: true }))
}

/**
 * HAProxy in TCP mode (so attach and exec can hijack) in front of the replicas, round robin, with
 * health checks every 500 ms: a replica that dies gets no new connections (one that refuses is
 * retried on another meanwhile).
 */
export function startHaproxy(backends: readonly number[]): Promise<RestartableServer> {
  const dir = mkdtempSync(join(tmpdir(), 'flocker-haproxy-'))
  return restartable('haproxy', (port) => {
    writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(port, backends))
    return ['haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]]
  }, () => rmSync(dir, { recursive: true, force: true }))
}

/** The configuration the README shows, with the test's ports. */
export function haproxyConfig(port: number, backends: readonly number[]): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout check 5s',
    // A burst beyond what the replicas take at once waits in HAProxy's queue, not in their backlogs.
    '  timeout queue 120s',
    // Long streams (attach, logs -f, events) have no idle timeout.
    '  timeout client 24h',
    '  timeout server 24h',
    '  option redispatch',
    '  retries 3',
    'frontend docker',
    `  bind 127.0.0.1:${port}`,
    '  default_backend flockers',
    'backend flockers',
    '  balance roundrobin',
    // A busy replica may be slow to answer a check: three misses in a row before it is out.
    ...backends.map((backend, i) =>
      `  server replica${i + 1} 127.0.0.1:${backend} check inter 500 fall 3 rise 1 maxconn 100`
    ),
    '',
  ].join('\n')
}

async function restartable(
  what: string,
  command: (port: number, extra: number) => [string, string[]],
  cleanup: () => void = () => {},
): Promise<RestartableServer> {
  const port = await freePort()
  const extra = await freePort()
  let child: ChildProcess | undefined
  let output = ''
  const start = async () => {
    const [file, args] = command(port, extra)
    const spawned = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = spawned
    spawned.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-4000)))
    spawned.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-4000)))
    await waitForPort(port, spawned, () => `${what} did not start:\n${output}`)
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGTERM')
      setTimeout(() => running.kill('SIGKILL'), 5_000).unref()
    })
  }
  await start()
  const scheme = what === 'haproxy' ? 'tcp' : what
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stop,
    start,
    down: async () => {
      await stop()
      cleanup()
    },
  }
}

/** Resolves once something accepts connections on the port; fails if the process exits first. */
async function waitForPort(port: number, child: ChildProcess, message: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(message())
    if (await accepts(port)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(message())
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export interface Replicas {
  readonly replicas: RunningFlocker[]
  /** HAProxy in front of them. */
  readonly lb: RestartableServer
  /** `tcp://127.0.0.1:PORT` of the load balancer. */
  readonly dockerHost: string
  stop(): Promise<void>
}

/** One flocker per runtime, all with `--store`, behind HAProxy; `own(i)`: flags of replica i alone. */
export async function startReplicas(
  runtimes: readonly RuntimeName[],
  args: readonly string[],
  own: (i: number) => string[] = () => [],
): Promise<Replicas> {
  const started = await Promise.allSettled(
    runtimes.map((runtime, i) => startFlocker(runtime, [...args, '--health-threshold', '3', ...own(i)])),
  )
  const replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const failed = started.find((result) => result.status === 'rejected')
  let lb: RestartableServer | undefined
  try {
    if (failed) throw failed.reason
    lb = await startHaproxy(replicas.map((replica) => replica.port))
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.stop())) // none outlives a failed start
    throw error
  }
  return {
    replicas,
    lb,
    dockerHost: lb.url,
    stop: async () => {
      await lb!.down()
      await Promise.all(replicas.map((replica) => replica.stop()))
    },
  }
}
