/**
 * dockerd's own cut of an exec's output, with no flocker: `exec -i cat` sessions straight to one
 * engine, each sending a random payload and half-closing, the client reading slowly. Once `cat`
 * exits, dockerd gives the output 2 s to reach the client and then closes the stream, so a client
 * that is still behind gets a clean, short stream: exactly the start of its payload. Prints per
 * session what came back; the README's Known gaps paragraph quotes it.
 *
 *   node --import tsx bench/exec-tail.ts [--sessions=4] [--payload-mb=8] [--every-kb=256] [--pause-ms=500]
 *
 * Needs root and Debian's docker.io, like the end-to-end tests.
 */
import { loadavg } from 'node:os'
import { startEngines } from '../tests/support/engines.ts'
import { apiJson, execSession } from '../tests/support/sessions.ts'

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const SESSIONS = Number(arg('sessions', '4'))
const PAYLOAD = Number(arg('payload-mb', '8')) * (1 << 20)
const slowReader = {
  everyBytes: Number(arg('every-kb', '256')) * 1024,
  pauseMs: Number(arg('pause-ms', '500')),
}

const engines = await startEngines(1, {}, { registry: false })
try {
  const port = Number(engines.engines[0]!.url.split(':').at(-1))
  const created = await apiJson(port, 'POST', '/v1.41/containers/create?name=exec-tail', {
    Image: 'busybox:local',
    Cmd: ['sleep', '100000'],
    HostConfig: { NetworkMode: 'none' },
  })
  await apiJson(port, 'POST', `/v1.41/containers/${created.body.Id}/start`)
  const started = Date.now()
  const sessions = Array.from(
    { length: SESSIONS },
    () => execSession(port, created.body.Id, PAYLOAD, slowReader),
  )
  for (const session of await Promise.all(sessions)) {
    const missing = session.sent - session.received
    const what = session.error ?? (missing ? `cut short, ${missing} bytes missing, the rest exact` : 'whole')
    console.log(`${session.received} of ${session.sent} bytes: ${what}`)
  }
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s, load average ${loadavg()[0]!.toFixed(1)}`)
} finally {
  await engines.down()
}
