/**
 * Stream throughput as curl (a C client) sees it, direct from the simulator and through flocker,
 * and flocker's CPU seconds per GiB carried (less noisy than GB/s on a shared machine): tells whether
 * bench/streams.ts's node:http client is the limit of the fake-streams figures.
 *   node --import tsx bench/curl-streams.ts [--runtimes=node,bun,deno] [--mb=1000] [--rounds=3]
 */
import { parseArgs } from 'node:util'
import { cpuSeconds, flockerOn, startSimulator } from './procs.ts'
import { curlTransfer, zerosFile } from './streams.ts'

const { values } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'node,bun,deno' },
    mb: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
})
const mb = Number(values.mb)
const sim = await startSimulator(1, 10, mb)
const paths = {
  logs: '/v1.41/containers/sim1-c0/logs?stdout=1',
  export: '/v1.41/containers/sim1-c0/export',
  cp: '/v1.41/containers/sim1-c0/archive?path=/big',
  load: '/v1.41/images/load?quiet=1',
}

/** A download, or for load an upload of `mb` MB of zeros from a file (a tar's content type). */
async function gbps(url: string): Promise<number> {
  const upload = url.includes('/images/load') ? zerosFile(mb) : undefined
  const { host, port, pathname, search } = new URL(url)
  const transfer = await curlTransfer({ host, port: Number(port) }, pathname + search, upload)
  return transfer.bytes / transfer.seconds / 1024 ** 3
}

const http = (tcp: string) => tcp.replace('tcp://', 'http://')
try {
  for (const runtime of values.runtimes!.split(',')) {
    const flocker = await flockerOn(runtime as 'node', [`sim1=${sim.urls[0]}`])
    try {
      for (const [kind, path] of Object.entries(paths)) {
        const direct: number[] = []
        const through: number[] = []
        const cpu: number[] = []
        for (let round = 0; round < Number(values.rounds); round++) {
          direct.push(await gbps(http(sim.urls[0]!) + path))
          const before = cpuSeconds(flocker.pid)
          through.push(await gbps(http(flocker.url) + path))
          cpu.push((cpuSeconds(flocker.pid) - before) / (mb / 1024))
        }
        const best = (xs: number[]) => Math.max(...xs).toFixed(2)
        console.log(
          `${runtime} ${kind}: direct ${best(direct)} GB/s, through flocker ${
            best(through)
          } GB/s, flocker CPU ${Math.min(...cpu).toFixed(2)} s/GiB (best of ${values.rounds}, ${mb} MB)`,
        )
      }
    } finally {
      await flocker.stop()
    }
  }
} finally {
  await sim.stop()
}
