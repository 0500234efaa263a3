/**
 * What watching requests costs: one flocker process per observer setting in front of the same
 * simulated hosts, taking turns in rounds; CPU µs per request of each flocker process (from /proc,
 * which load elsewhere barely moves) and req/s with 16 connections.
 *
 *   node --import tsx bench/observer-cost.ts [--rounds=3] [--requests=2000]
 *   node --import tsx bench/observer-cost.ts --serve=SETTING --port=P --hosts=URL,URL  (one flocker)
 */
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createFlocker } from '../src/app.ts'
import { serve } from '../src/serve.ts'
import { logObserver } from '../src/log/observer.ts'
import type { FlockerObserver } from '../src/observe/observer.ts'
import { freePort, spawnUntilListening } from '../tests/support/flocker.ts'
import { burstSeconds, call, targetOf } from './http.ts'
import { cpuSeconds, startSimulator } from './procs.ts'

const flags = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const SETTINGS: Record<string, () => FlockerObserver | undefined> = {
  none: () => undefined,
  errors: () => logObserver({ requests: false }),
  all: () => ({ request() {}, hostCall() {}, cache() {} }),
}
const LABELS: Record<string, string> = {
  none: 'no observer (library use)',
  errors: 'access log of failures only (the CLI default)',
  all: 'an observer of every request (admin metrics, --log-requests)',
}

if (flags.has('serve')) {
  const hosts = flags.get('hosts')!.split(',').map((url, i) => ({ name: `sim${i + 1}`, url }))
  const app = createFlocker({ hosts, observer: SETTINGS[flags.get('serve')!]!() })
  await serve(app, { listen: `tcp://127.0.0.1:${flags.get('port')}` })
  console.log('listening on', flags.get('port'))
} else {
  const rounds = Number(flags.get('rounds') ?? 3)
  const requests = Number(flags.get('requests') ?? 2000)
  const sim = await startSimulator(3, 30)
  const load = loadavg().map((n) => n.toFixed(2)).join(' ')
  const servers: { setting: string; pid: number; port: number; stop: () => Promise<void> }[] = []
  try {
    for (const setting of Object.keys(SETTINGS)) {
      const port = await freePort()
      const child = await spawnUntilListening(setting, process.execPath, [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        `--serve=${setting}`,
        `--port=${port}`,
        `--hosts=${sim.urls.join(',')}`,
      ])
      servers.push({ setting, pid: child.process.pid!, port, stop: () => child.stop() })
    }
    const id = (JSON.parse(await call(targetOf(sim.urls[0]!), 'GET', '/v1.41/containers/sim1-c3/json')) as {
      Id: string
    }).Id
    const paths = {
      'ps -a (3 hosts × 30)': '/v1.41/containers/json?all=1',
      inspect: `/v1.41/containers/${id}/json`,
    }
    const results = new Map<string, { cpu: number; n: number; rates: number[] }>()
    for (let round = 0; round < rounds; round++) {
      for (const [what, path] of Object.entries(paths)) {
        for (const { setting, pid, port } of servers) {
          const before = cpuSeconds(pid)
          const seconds = await burstSeconds({ host: '127.0.0.1', port }, path, requests, 16)
          const key = `${what} | ${LABELS[setting]}`
          const r = results.get(key) ?? { cpu: 0, n: 0, rates: [] }
          r.cpu += cpuSeconds(pid) - before
          r.n += requests + 32
          r.rates.push(requests / seconds)
          results.set(key, r)
        }
      }
    }
    console.log(`load average at start ${load}, at the end ${loadavg().map((n) => n.toFixed(2)).join(' ')}`)
    console.log('| request | observers | CPU µs per request | req/s, 16 connections (median of rounds) |')
    console.log('| --- | --- | ---: | ---: |')
    for (const [key, { cpu, n, rates }] of results) {
      const median = rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!
      console.log(`| ${key} | ${((cpu / n) * 1e6).toFixed(0)} | ${median.toFixed(0)} |`)
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
    await sim.stop()
  }
  process.exit(0)
}
