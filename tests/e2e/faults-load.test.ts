import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { IMAGE, removeContainers } from '../support/docker.ts'
import { enginesAvailable, enginesForFile } from '../support/engines.ts'
import { eventually } from '../support/eventually.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'
import {
  apiJson,
  attachSession,
  execSession,
  processCounts,
  type SessionResult,
} from '../support/sessions.ts'

// Many hijacked sessions at once through a flock of three real engines: exec -i and attach, each
// sending a checksummed payload and half-closing, each getting every byte back. One round, measured
// against the baseline: every engine socket and descriptor the sessions opened is closed afterwards
// (a leak of one per session would show as dozens), and flocker's memory stays far below the bytes
// the large sessions carry (whole-body buffering would hold at least that).

/** Sessions with a small payload: many at once, for leaks per session. */
const EXEC_SESSIONS = Number(process.env.LOAD_EXEC_SESSIONS ?? 32)
const ATTACH_SESSIONS = Number(process.env.LOAD_ATTACH_SESSIONS ?? 8)
const SMALL_PAYLOAD = Number(process.env.LOAD_SMALL_KB ?? 256) * 1024
/** exec -i sessions with a large payload, for memory: far more bytes than any session's buffers. */
const LARGE_SESSIONS = Number(process.env.LOAD_LARGE_SESSIONS ?? 8)
const PAYLOAD = Math.round(Number(process.env.LOAD_PAYLOAD_MB ?? 24) * (1 << 20))
const PREFIX = 'ld-'

const flock = enginesForFile(3, {}, { registry: false })

for (const runtime of runtimes()) {
  const sessions = `${LARGE_SESSIONS + EXEC_SESSIONS} exec -i and ${ATTACH_SESSIONS} attach sessions at once`
  describe(`${sessions}, flocker on ${runtime}`, {
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
        // Each session's bytes in and out as flocker counted them: a failure then says which side lost them.
        '--log-requests',
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

    /** Runs every session at once; resolves with the sessions that failed and flocker's peak RSS. */
    const round = async () => {
      const pid = flocker.process.pid!
      let peakMb = 0
      const sampler = setInterval(() => (peakMb = Math.max(peakMb, processCounts(pid, ports()).rssMb)), 200)
      try {
        const sessions: Promise<SessionResult>[] = []
        for (let i = 0; i < LARGE_SESSIONS; i++) {
          sessions.push(execSession(flocker.port, targets[i % targets.length]!, PAYLOAD))
        }
        for (let i = 0; i < EXEC_SESSIONS; i++) {
          sessions.push(execSession(flocker.port, targets[i % targets.length]!, SMALL_PAYLOAD))
        }
        for (let i = 0; i < ATTACH_SESSIONS; i++) {
          sessions.push(attachSession(flocker.port, `${PREFIX}${runtime}-a${i}`, IMAGE, SMALL_PAYLOAD))
        }
        const results = await Promise.all(sessions)
        return { failed: results.filter((result) => !result.ok), peakMb }
      } finally {
        clearInterval(sampler)
      }
    }
    let failed: SessionResult[] | undefined

    test('memory stays below the bytes carried; no socket or descriptor is left', async () => {
      const pid = flocker.process.pid!
      // The baseline once the start-up's kept-alive connections have gone idle and closed.
      const baseline = await eventually(async () => {
        const before = processCounts(pid, ports())
        await new Promise((resolve) => setTimeout(resolve, 1000))
        const now = processCounts(pid, ports())
        assert.ok(now.upstream === before.upstream && now.fds === before.fds, 'still settling')
        return now
      })
      const result = await round()
      const peakMb = result.peakMb
      failed = result.failed
      // Kept-alive connections close after 5 s idle, hijacked ones when their session ends: the counts
      // come back to the baseline's (a few more for a health check or event stream reconnecting).
      let after = processCounts(pid, ports())
      const report = () => JSON.stringify({ baseline, peakMb, after })
      await eventually(() => {
        after = processCounts(pid, ports())
        assert.ok(after.upstream <= baseline.upstream + 4, `engine sockets left open: ${report()}`)
        assert.ok(after.fds <= baseline.fds + 8, `descriptors left open: ${report()}`)
        return Promise.resolve()
      })
      process.stderr.write(`load on ${runtime}: ${report()}\n`)
      // Whole bodies buffered would hold at least every byte the large sessions carried one way;
      // streams with backpressure hold a few buffers per session.
      const largeMb = (LARGE_SESSIONS * PAYLOAD) / (1 << 20)
      assert.ok(peakMb - baseline.rssMb < largeMb, `memory grew with the bytes carried: ${report()}`)
    })

    // dockerd gives an exec's output 2 s after the process exits to reach the client, then closes the
    // stream (moby daemon/monitor.go): a client that reads slowly, as every client does on a starved
    // machine, loses the tail still in the engine's pipes (about 130 KB at most). Such a session
    // passes here when it got exactly the start of the payload and flocker wrote every byte it read
    // from the engine to it; a byte lost, changed or added by flocker fails it.
    test('every byte comes back in every session, or flocker passed on all the engine sent', async () => {
      assert.ok(failed, 'the sessions did not run')
      // flocker logs a session's counts once both its sockets closed, which may come after the client's.
      for (const session of failed.filter((session) => session.path && session.streamBytes > 0)) {
        await eventually(() => assert.ok(hijackCounts(flocker.output(), session.path), session.path))
      }
      const output = flocker.output()
      const lost = failed.filter((session) => !cutByEngine(session, output))
      if (failed.length > lost.length) {
        process.stderr.write(
          `load on ${runtime}: ${failed.length - lost.length} sessions cut short by the engine\n`,
        )
      }
      assert.equal(
        lost.length,
        0,
        `${lost.length} sessions lost or changed bytes: ${JSON.stringify(lost.slice(0, 3))}\n` +
          lost.slice(0, 3).map((session) => carried(output, session.path)).join('\n'),
      )
    })

    test('a client reading slowly gets every byte flocker read from the engine', async () => {
      // 64 KiB every 250 ms, with backpressure all the way to the engine, which may cut the tail (its
      // 2 s after the process exits); either way flocker's counts must be the client's.
      const session = await execSession(flocker.port, targets[0]!, 2 << 20, {
        everyBytes: 64 << 10,
        pauseMs: 250,
      })
      const counts = await eventually(() => {
        const found = hijackCounts(flocker.output(), session.path)
        assert.ok(found, `no hijack closed line: ${carried(flocker.output(), session.path)}`)
        return Promise.resolve(found)
      })
      assert.equal(session.error, undefined, JSON.stringify(session))
      assert.equal(counts.in, session.sent, carried(flocker.output(), session.path))
      assert.equal(counts.out, session.streamBytes, carried(flocker.output(), session.path))
      process.stderr.write(`slow reader on ${runtime}: ${session.received} of ${session.sent} bytes\n`)
    })
  })
}

/**
 * A session the engine cut short: what it got is exactly the start of the payload, and flocker's
 * log says it carried every stdin byte to the engine and wrote to the client every byte it read
 * from the engine.
 */
function cutByEngine(session: SessionResult, output: string): boolean {
  const counts = hijackCounts(output, session.path)
  return !session.error && session.received < session.sent && counts !== undefined &&
    counts.in === session.sent && counts.out === session.streamBytes
}

/** The bytes flocker's splice carried for one upgraded request: client to engine, engine to client. */
function hijackCounts(output: string, path: string | undefined): { in: number; out: number } | undefined {
  const match = / in=(\d+) out=(\d+) /.exec(carried(output, path).split(' | ')[1] ?? '')
  return match ? { in: Number(match[1]), out: Number(match[2]) } : undefined
}

/** flocker's log lines for one upgraded request: its answer, and the bytes its splice carried each way. */
function carried(output: string, path: string | undefined): string {
  if (!path) return ''
  const lines = output.split('\n')
  const answer = lines.find((line) => line.includes(path))
  const id = answer && / id=(\S+)/.exec(answer)?.[1]
  const closed = id && lines.find((line) => line.includes('hijack closed') && line.includes(`id=${id} `))
  return `${path}: ${answer ?? 'no request line'} | ${closed ?? 'no hijack line'}`
}
