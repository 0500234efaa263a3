/**
 * Soak: minutes of mixed traffic (lists, inspects, runs, exec -i with checksums, logs, pulls) through
 * flocker in front of three real engines while engine 3 is, in turn, frozen (SIGSTOP) and thawed,
 * then killed (SIGKILL) and restarted. Prints requests by outcome, hangs (none allowed), flocker's
 * RSS and open descriptors at start, peak and end, and the bytes checked.
 *
 *   node --import tsx bench/soak.ts [--minutes=3] [--workers=8] [--runtime=node|bun|deno]
 *
 * Needs root and Debian's docker.io, like the end-to-end tests. Exits 1 if any request hung or any
 * byte came back wrong.
 */
import { startEngines } from '../tests/support/engines.ts'
import { dockerOk } from '../tests/support/docker.ts'
import { type RuntimeName, startFlocker } from '../tests/support/flocker.ts'
import { apiJson, execSession, processCounts } from '../tests/support/sessions.ts'

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const MINUTES = Number(arg('minutes', '3'))
const WORKERS = Number(arg('workers', '8'))
const RUNTIME = arg('runtime', 'node') as RuntimeName
const HANG = 60_000
const EXEC_BYTES = 256 << 10

const outcomes: Record<string, Record<string, number>> = {}
let bytesChecked = 0
let hangs = 0
let corrupt = 0
const count = (op: string, outcome: string) => {
  outcomes[op] ??= {}
  outcomes[op][outcome] = (outcomes[op][outcome] ?? 0) + 1
}

const engines = await startEngines(3)
let stopping = false
try {
  const flocker = await startFlocker(RUNTIME, [
    ...engines.engines.map((e) => `--node=${e.flag}`),
    '--health-interval=1000',
    '--host-timeout=2000',
  ])
  const port = flocker.port
  const pid = flocker.process.pid!
  const ports = engines.engines.map((e) => Number(e.url.split(':').at(-1)))
  const image = `${engines.registry}/soak/busybox:1`
  await dockerOk(engines.engines[0]!.url, ['tag', 'busybox:local', image])
  await dockerOk(engines.engines[0]!.url, ['push', image])
  const targets: string[] = []
  for (let i = 0; i < 6; i++) {
    const created = await apiJson(port, 'POST', `/v1.41/containers/create?name=soak-t${i}`, {
      Image: 'busybox:local',
      Cmd: ['sh', '-c', 'while true; do echo tick; sleep 1; done'],
      HostConfig: { NetworkMode: 'none' },
    })
    await apiJson(port, 'POST', `/v1.41/containers/${created.body.Id}/start`)
    targets.push(created.body.Id)
  }
  const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!

  const ops: Record<string, () => Promise<string>> = {
    ps: async () => status((await apiJson(port, 'GET', '/v1.41/containers/json?all=1')).status),
    inspect: async () =>
      status((await apiJson(port, 'GET', `/v1.41/containers/${pick(targets)}/json`)).status),
    logs: async () =>
      status((await apiJson(port, 'GET', `/v1.41/containers/${pick(targets)}/logs?stdout=1&tail=5`)).status),
    run: async () => {
      const created = await apiJson(port, 'POST', '/v1.41/containers/create', {
        Image: 'busybox:local',
        Cmd: ['echo', 'soak'],
        HostConfig: { NetworkMode: 'none', AutoRemove: false },
      })
      if (created.status !== 201) return status(created.status)
      const id = created.body.Id
      const started = await apiJson(port, 'POST', `/v1.41/containers/${id}/start`)
      if (started.status !== 204) return status(started.status)
      await apiJson(port, 'POST', `/v1.41/containers/${id}/wait`)
      return status((await apiJson(port, 'DELETE', `/v1.41/containers/${id}?force=1`)).status)
    },
    exec: async () => {
      const result = await execSession(port, pick(targets), EXEC_BYTES)
      if (result.ok) {
        bytesChecked += 2 * result.sent
        return 'ok'
      }
      if (result.received > 0 && !result.error) {
        corrupt++
        return 'corrupt'
      }
      return 'error'
    },
    pull: async () => {
      const path = `/v1.41/images/create?fromImage=${
        encodeURIComponent(image.split(':').slice(0, -1).join(':'))
      }&tag=1`
      return status((await apiJson(port, 'POST', path)).status)
    },
  }

  const samples: { rssMb: number; fds: number }[] = []
  const sample = () => {
    const { rssMb, fds } = processCounts(pid, ports)
    samples.push({ rssMb, fds })
  }
  sample()
  const sampler = setInterval(sample, 1000)
  const end = Date.now() + MINUTES * 60_000

  const worker = async () => {
    while (Date.now() < end) {
      const [name, op] = pick(Object.entries(ops))
      let timer: ReturnType<typeof setTimeout> | undefined
      const hang = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG)))
      const outcome = await Promise.race([op().catch(() => 'error'), hang])
      clearTimeout(timer)
      if (outcome === 'hang') hangs++
      count(name, outcome)
    }
  }

  const chaos = async () => {
    const log = (what: string) => process.stderr.write(`soak: ${new Date().toISOString()} ${what}\n`)
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    for (let round = 0; Date.now() < end - 30_000; round++) {
      await pause(10_000)
      if (round % 2 === 0) {
        log('freeze node3')
        engines.freeze(3)
        await pause(10_000)
        engines.thaw(3)
        log('thaw node3')
      } else {
        log('kill node3')
        await engines.kill(3)
        await pause(5_000)
        await engines.start(3)
        log('node3 restarted')
      }
    }
  }

  await Promise.all([chaos(), ...Array.from({ length: WORKERS }, worker)])
  clearInterval(sampler)
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  sample()
  const first = samples[0]!
  const last = samples.at(-1)!
  const peak = {
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    fds: Math.max(...samples.map((s) => s.fds)),
  }
  const total = Object.values(outcomes).reduce(
    (sum, o) => sum + Object.values(o).reduce((a, b) => a + b, 0),
    0,
  )
  console.log(
    `soak: ${MINUTES} min, ${WORKERS} workers, flocker on ${RUNTIME}, node3 frozen and killed in turn`,
  )
  console.log(
    `requests: ${total}; hangs: ${hangs}; corrupt: ${corrupt}; bytes checked: ${
      (bytesChecked / (1 << 20)).toFixed(0)
    } MB`,
  )
  console.log('| operation | ' + ['ok', 'error', 'hang', 'corrupt'].join(' | ') + ' |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const [op, o] of Object.entries(outcomes)) {
    console.log(`| ${op} | ${o.ok ?? 0} | ${o.error ?? 0} | ${o.hang ?? 0} | ${o.corrupt ?? 0} |`)
  }
  console.log(
    `RSS MB start/peak/end: ${first.rssMb}/${peak.rssMb}/${last.rssMb}; open FDs start/peak/end: ${first.fds}/${peak.fds}/${last.fds}`,
  )
  stopping = true
  await apiJson(port, 'GET', '/v1.41/containers/json?all=1') // still serving
  await flocker.stop()
  process.exitCode = hangs || corrupt ? 1 : 0
} finally {
  if (!stopping) process.exitCode = 1
  await engines.down()
}

function status(code: number): string {
  return code > 0 && code < 400 ? 'ok' : 'error'
}
