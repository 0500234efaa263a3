/**
 * The ceiling of concurrent hijacked sessions: rounds of `exec -i` and attach sessions at once
 * through flocker in front of three real engines, each sending a random payload, half-closing and
 * comparing what comes back byte for byte, with twice as many sessions each round until a round
 * loses a session or `--max` is reached. Prints per round: sessions, failures (and the first error),
 * wall time, MB/s carried (both ways), flocker's peak RSS, open descriptors, and the CPU seconds
 * flocker and the engines used, which shows what limits the round.
 *
 *   node --import tsx bench/sessions.ts [--runtime=node|bun|deno] [--start=100] [--max=1600]
 *     [--payload-mb=1] [--attach-share=0.25] [--health-timeout=MS] [--hijack-cap=N]
 *
 * The hijack cap (flocker's `limits.hijacksPerIdentity`, 256 by default) is raised to `--max` for the run.
 *
 * Needs root and Debian's docker.io, like the end-to-end tests (the CI-sized run of the same is
 * tests/e2e/faults-load.test.ts).
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { removeContainers } from '../tests/support/docker.ts'
import { startEngines } from '../tests/support/engines.ts'
import { type RuntimeName, startFlocker } from '../tests/support/flocker.ts'
import {
  apiJson,
  attachSession,
  execSession,
  processCounts,
  type SessionResult,
} from '../tests/support/sessions.ts'

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const RUNTIME = arg('runtime', 'node') as RuntimeName
const START = Number(arg('start', '100'))
const MAX = Number(arg('max', '1600'))
const PAYLOAD = Number(arg('payload-mb', '1')) * (1 << 20)
const ATTACH_SHARE = Number(arg('attach-share', '0.25'))
/** flocker's --health-timeout for the run ('' keeps its default). */
const HEALTH_TIMEOUT = arg('health-timeout', '')
/** The per-identity cap on live sessions (default 256) would end the doubling before the machine does. */
const HIJACK_CAP = Number(arg('hijack-cap', String(Math.max(MAX, 256))))
const IMAGE = 'busybox:local'
const TARGETS = 12

/** CPU seconds (user + system) a process and its children that were waited for have used. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    const ticks = fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0)
    return ticks / 100
  } catch {
    return 0
  }
}

const engines = await startEngines(3, {}, { registry: false })
try {
  const flocker = await startFlocker(RUNTIME, [
    ...engines.engines.map((e) => `--node=${e.flag}`),
    ...(HEALTH_TIMEOUT ? [`--health-timeout=${HEALTH_TIMEOUT}`] : []),
    `--limits=${JSON.stringify({ hijacksPerIdentity: HIJACK_CAP })}`,
  ])
  const pid = flocker.process.pid!
  const ports = engines.engines.map((e) => Number(e.url.split(':').at(-1)))
  const enginePids = engines.engines.map((_, i) => engines.pid(i + 1))
  const targets: string[] = []
  for (let i = 0; i < TARGETS; i++) {
    const created = await apiJson(flocker.port, 'POST', `/v1.41/containers/create?name=ceil-t${i}`, {
      Image: IMAGE,
      Cmd: ['sleep', '100000'],
      HostConfig: { NetworkMode: 'none' },
    })
    await apiJson(flocker.port, 'POST', `/v1.41/containers/${created.body.Id}/start`)
    targets.push(created.body.Id)
  }
  const baseline = processCounts(pid, ports)
  console.log(
    `flocker on ${RUNTIME}, 3 engines, ${PAYLOAD >> 20} MB per session each way, ${
      Math.round(ATTACH_SHARE * 100)
    }% attach; baseline RSS ${baseline.rssMb} MB, ${baseline.fds} descriptors`,
  )
  console.log(
    '| sessions | failed | seconds | MB/s (both ways) | peak RSS MB | peak fds | flocker CPU s | dockerd CPU s | load avg |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  let ceiling = 0
  for (let round = 1, n = START; n <= MAX; round++, n *= 2) {
    const attaches = Math.round(n * ATTACH_SHARE)
    let peakRss = 0
    let peakFds = 0
    const sample = () => {
      const now = processCounts(pid, ports)
      peakRss = Math.max(peakRss, now.rssMb)
      peakFds = Math.max(peakFds, now.fds)
    }
    const sampler = setInterval(sample, 250)
    const cpu0 = cpuSeconds(pid)
    const engineCpu0 = enginePids.reduce((sum, p) => sum + cpuSeconds(p), 0)
    const started = performance.now()
    const sessions: Promise<SessionResult>[] = []
    for (let i = 0; i < n - attaches; i++) {
      sessions.push(execSession(flocker.port, targets[i % TARGETS]!, PAYLOAD))
    }
    for (let i = 0; i < attaches; i++) {
      sessions.push(attachSession(flocker.port, `ceil-r${round}-a${i}`, IMAGE, PAYLOAD))
    }
    const results = await Promise.all(sessions)
    const seconds = (performance.now() - started) / 1000
    clearInterval(sampler)
    sample()
    const failed = results.filter((result) => !result.ok)
    const carried = results.reduce((sum, result) => sum + result.sent + result.received, 0) / (1 << 20)
    console.log(
      `| ${n} | ${failed.length} | ${seconds.toFixed(1)} | ${
        (carried / seconds).toFixed(1)
      } | ${peakRss} | ${peakFds} | ${(cpuSeconds(pid) - cpu0).toFixed(1)} | ${
        (enginePids.reduce((sum, p) => sum + cpuSeconds(p), 0) - engineCpu0).toFixed(1)
      } | ${loadavg()[0]!.toFixed(1)} |`,
    )
    if (failed.length) {
      console.log(
        `first failure: ${failed[0]!.error ?? `${failed[0]!.received} of ${failed[0]!.sent} bytes`}`,
      )
      break
    }
    ceiling = n
    await removeContainers(flocker.dockerHost, `ceil-r${round}-`)
  }
  const after = processCounts(pid, ports)
  console.log(
    `ceiling: ${ceiling} sessions at once with every byte checked${
      ceiling === MAX ? ' (the --max asked)' : ''
    }; ` +
      `after: RSS ${after.rssMb} MB, ${after.fds} descriptors, ${after.upstream} sockets to engines`,
  )
  await removeContainers(flocker.dockerHost, 'ceil-')
  await flocker.stop()
} finally {
  await engines.down()
}
