import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { IMAGE, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import {
  apiJson,
  attachSession,
  execSession,
  processCounts,
  type SessionResult,
} from '../support/sessions.ts'

// Hundreds of hijacked sessions at once through a flock of three real engines: exec -i and attach,
// each sending a checksummed payload and half-closing, each getting every byte back. flocker's
// memory stays bounded while they run, and a second round leaves no more descriptors or engine
// sockets open than the first: nothing leaks per session.

const EXEC_SESSIONS = Number(process.env.LOAD_EXEC_SESSIONS ?? 150)
const ATTACH_SESSIONS = Number(process.env.LOAD_ATTACH_SESSIONS ?? 50)
// CI size: 200 sessions of 512 KB each way, two rounds, on each runtime; the size (a few MB per
// session) is LOAD_PAYLOAD_MB=2, and the ceiling is bench/sessions.ts.
const PAYLOAD = Number(process.env.LOAD_PAYLOAD_MB ?? 0.5) * (1 << 20)
const PREFIX = 'ld-'

const flock = enginesForFile(3, {}, { registry: false })

for (const runtime of runtimes()) {
  describe(`${EXEC_SESSIONS} exec -i and ${ATTACH_SESSIONS} attach sessions at once, flocker on ${runtime}`, {
    skip: !enginesAvailable(),
  }, () => {
    let flocker: RunningFlocker
    const targets: string[] = []
    const ports = () => flock().engines.map((e) => Number(e.url.split(':').at(-1)))
    before(async () => {
      // What is tested here is the load, not failure detection: on a starved machine a 3 s health
      // check can fail for every host at once, which would end sessions that are fine.
      flocker = await startFlocker(runtime, [
        ...flock().engines.map((e) => `--node=${e.flag}`),
        '--health-timeout=60000',
        '--health-threshold=3',
      ])
      for (let i = 0; i < 6; i++) {
        const created = await apiJson(
          flocker.port,
          'POST',
          `/v1.41/containers/create?name=${PREFIX}${runtime}-t${i}`,
          {
            Image: IMAGE,
            Cmd: ['sleep', '100000'],
            HostConfig: { NetworkMode: 'none' },
          },
        )
        assert.equal(created.status, 201, JSON.stringify(created.body))
        assert.equal(
          (await apiJson(flocker.port, 'POST', `/v1.41/containers/${created.body.Id}/start`)).status,
          204,
        )
        targets.push(created.body.Id)
      }
    })
    after(async () => {
      if (flocker) await removeContainers(flocker.dockerHost, PREFIX)
      await flocker?.stop()
    })

    const round = async (n: number) => {
      const pid = flocker.process.pid!
      let peakMb = 0
      const sampler = setInterval(() => (peakMb = Math.max(peakMb, processCounts(pid, ports()).rssMb)), 200)
      try {
        const sessions: Promise<SessionResult>[] = []
        for (let i = 0; i < EXEC_SESSIONS; i++) {
          sessions.push(execSession(flocker.port, targets[i % targets.length]!, PAYLOAD))
        }
        for (let i = 0; i < ATTACH_SESSIONS; i++) {
          sessions.push(attachSession(flocker.port, `${PREFIX}${runtime}-r${n}-a${i}`, IMAGE, PAYLOAD))
        }
        const results = await Promise.all(sessions)
        const failed = results.filter((result) => !result.ok)
        assert.equal(
          failed.length,
          0,
          `${failed.length} sessions lost or changed bytes: ${JSON.stringify(failed.slice(0, 3))}`,
        )
      } finally {
        clearInterval(sampler)
      }
      return { peakMb, ...(await settled(pid)) }
    }

    /** Counts once the last sessions' sockets have closed (polled; the count, never the time, is checked). */
    const settled = async (pid: number) => {
      let last = processCounts(pid, ports())
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        const now = processCounts(pid, ports())
        if (now.fds === last.fds && now.upstream === last.upstream) return now
        last = now
      }
      return last
    }

    // Known gap (issue 11): on Bun the engine sockets of the sessions stay open after both rounds, and on
    // Deno RSS grows with the bytes carried; the test runs there and is reported, not yet required.
    const gap = runtime === 'node' ? {} : { todo: `${runtime}: engine sockets or memory not yet released` }
    test(
      'every byte comes back; memory is bounded; a second round leaks no descriptor or socket',
      gap,
      async () => {
        const baseline = processCounts(flocker.process.pid!, ports())
        const first = await round(1)
        const second = await round(2)
        const report = { baseline, first, second }
        process.stderr.write(`load on ${runtime}: ${JSON.stringify(report)}\n`)
        const totalMb = ((EXEC_SESSIONS + ATTACH_SESSIONS) * PAYLOAD) / (1 << 20)
        // Whole bodies buffered would hold at least every byte carried one way (totalMb); streams with
        // backpressure hold a few buffers per session.
        assert.ok(
          first.peakMb - baseline.rssMb < totalMb,
          `memory grew with the bytes carried: ${JSON.stringify(report)}`,
        )
        assert.ok(second.fds <= first.fds + 16, `descriptors grew: ${JSON.stringify(report)}`)
        assert.ok(second.upstream <= first.upstream + 8, `engine sockets grew: ${JSON.stringify(report)}`)
        assert.ok(
          second.upstream < (EXEC_SESSIONS + ATTACH_SESSIONS) / 2,
          `engine sockets left open: ${JSON.stringify(report)}`,
        )
      },
    )
  })
}
