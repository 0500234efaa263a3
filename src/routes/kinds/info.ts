import { askAll } from '../../flock/fanout.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { checkedHosts, FLOCKER_VERSION, noHostResponse } from './system.ts'

const SUMMED = [
  'Containers',
  'ContainersRunning',
  'ContainersPaused',
  'ContainersStopped',
  'Images',
  'NCPU',
  'MemTotal',
] as const

/**
 * `docker info` for the flock: totals over the hosts that answered, and every host with its
 * status, counts, labels, last error and server version, in `SystemStatus` as Swarm classic
 * showed them (the docker CLI prints it), so a host that is down is visible at a glance.
 */
export async function answerInfo(ctx: FlockerContext, _req: DockerRequest): Promise<Response> {
  await checkedHosts(ctx)
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) => host.json<Record<string, any>>('/info', { signal }),
    ctx.options.hostTimeout,
  )
  const infos = answers.flatMap((answer) => (answer.ok ? [answer.value] : []))
  const first = infos[0]
  if (!first) return noHostResponse(ctx)
  const totals = Object.fromEntries(
    SUMMED.map((key) => [key, infos.reduce((sum, info) => sum + Number(info[key] ?? 0), 0)]),
  )
  const missing = answers.filter((answer) => !answer.ok).map((answer) => answer.host.name)
  const down = ctx.flock.all.filter((host) => host.status === 'unhealthy')
  const status: [string, string][] = [
    ['Role', 'flocker'],
    ['Strategy', ctx.options.strategy],
    ['Nodes', String(ctx.flock.all.length)],
    ['Healthy nodes', String(ctx.flock.all.filter((host) => host.status === 'healthy').length)],
  ]
  if (ctx.coordination.shared) {
    const store = ctx.coordination.status()
    const why = store.state === 'down' && store.lastError ? `: ${store.lastError}` : ''
    status.push(
      ['Store', `${store.store} (${store.state}${why})`],
      ['  └ Replica', store.replica],
      ['  └ Operations', String(store.operations)],
    )
  }
  for (const host of ctx.flock.all) {
    const facts = host.facts
    status.push(
      [` ${host.name}`, host.address],
      [
        '  └ Status',
        host.status === 'healthy' ? 'Healthy' : host.status === 'pending' ? 'Pending' : 'Unhealthy',
      ],
      ['  └ Containers', facts ? `${facts.containers} (${facts.containersRunning} running)` : '0'],
      ['  └ Images', String(facts?.images ?? 0)],
      ['  └ Reserved CPUs', `0 / ${facts?.ncpu ?? 0}`],
      ['  └ Reserved Memory', `0 B / ${facts?.memTotal ?? 0} B`],
      ['  └ Labels', Object.entries(host.allLabels).map(([k, v]) => `${k}=${v}`).join(', ')],
      ['  └ Error', host.lastError || '(none)'],
      ['  └ UpdatedAt', host.lastCheck?.toISOString() ?? ''],
      ['  └ ServerVersion', facts?.serverVersion ?? ''],
    )
  }
  const body = {
    ...first,
    ...totals,
    ID: 'flocker',
    Name: 'flocker',
    Labels: [],
    SystemStatus: status,
    Warnings: [
      ...(first.Warnings ?? []),
      ...missing.map((name) =>
        `WARNING: flocker: host ${name} did not answer; its containers and images are not counted`
      ),
      ...down.map((host) =>
        `WARNING: flocker: host ${host.name} (${host.address}) is unhealthy since ${host.statusSince.toISOString()}: ${host.lastError}`
      ),
    ],
    ServerVersion: first.ServerVersion,
    Swarm: { ...(first.Swarm ?? {}), LocalNodeState: 'inactive' },
    FlockerVersion: FLOCKER_VERSION,
  }
  return Response.json(body)
}
