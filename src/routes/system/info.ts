import type { InfoJson } from '../../docker/types.ts'
import { askAll } from '../../flock/ask-all.ts'
import type { Host } from '../../flock/host.ts'
import { reservations } from '../../schedule/state.ts'
import { FLOCKER_VERSION } from '../../version.ts'
import type { FlockerContext } from '../context.ts'
import { noteHost } from '../../observe/scope.ts'
import type { DockerRequest } from '../request.ts'
import { checkedHosts } from './checked-hosts.ts'

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
 * status, counts, reserved CPUs and memory (what its live containers ask for, as the scheduler
 * counts it), labels, last error and server version, in `SystemStatus` as Swarm classic showed
 * them (the docker CLI prints it), so a host that is down is visible at a glance. A failing `list`
 * hook shows there and in the warnings.
 */
export async function answerInfo(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  await checkedHosts(ctx)
  const usable = ctx.flock.usable
  const [answers, reserved, images] = await Promise.all([
    askAll(usable, (host, signal) => host.json<InfoJson>('/info', { signal }), ctx.options.hostTimeout),
    reservations(usable, ctx.options.hostTimeout),
    askAll(
      usable,
      (host, signal) => host.json<{ Id: string }[]>('/images/json?all=1', { signal }),
      ctx.options.hostTimeout,
    ),
  ])
  for (const answer of answers) noteHost(req.signal, answer.host.name, 'asked')
  const infos = answers.flatMap((answer) => (answer.ok ? [answer.value] : []))
  const fresh = new Map(
    answers.flatMap((answer) => (answer.ok ? [[answer.host, answer.value] as const] : [])),
  )
  // With every host down, `docker info` still lists them, Unhealthy: the one view that shows the outage.
  const first: InfoJson = infos[0] ?? { ServerVersion: '', Warnings: [] }
  const totals = Object.fromEntries(
    SUMMED.map((key) => [key, infos.reduce((sum, info) => sum + Number(info[key] ?? 0), 0)]),
  )
  // An image on several hosts is one image, as in the merged image list.
  totals.Images =
    new Set(images.flatMap((answer) => (answer.ok ? answer.value.map((image) => image.Id) : []))).size
  const missing = answers.filter((answer) => !answer.ok).map((answer) => answer.host.name)
  const down = ctx.flock.all.filter((host) => host.status === 'unhealthy')
  const listError = ctx.inventory.lastListError
  const status: [string, string][] = [
    ['Role', 'flocker'],
    ['Strategy', ctx.options.strategy],
    ['Nodes', String(ctx.flock.all.length)],
    ['Healthy nodes', String(ctx.flock.all.filter((host) => host.status === 'healthy').length)],
    ...(listError ? [['List hook error', listError] as [string, string]] : []),
    ...storeStatus(ctx),
  ]
  for (const host of ctx.flock.all) status.push(...hostStatus(host, reserved.get(host), fresh.get(host)))
  const body = {
    ...first,
    ...totals,
    ID: 'flocker',
    Name: 'flocker',
    Labels: [],
    SystemStatus: status,
    Warnings: [
      ...(first.Warnings ?? []),
      ...(listError
        ? [`WARNING: flocker: the list hook failed: ${listError}; the hosts it gave before stay`]
        : []),
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

/** The store the replicas share (with `--store` only): its state, this replica's name, its operations. */
function storeStatus(ctx: FlockerContext): [string, string][] {
  if (!ctx.coordination.shared) return []
  const store = ctx.coordination.status()
  const why = store.state === 'down' && store.lastError ? `: ${store.lastError}` : ''
  return [
    ['Store', `${store.store} (${store.state}${why})`],
    ['  └ Replica', store.replica],
    ['  └ Operations', String(store.operations)],
  ]
}

/** A host's rows in `SystemStatus`, as Swarm classic's `docker info` showed them. */
function hostStatus(
  host: Host,
  reserved: { memory: number; cpus: number } | undefined,
  info: InfoJson | undefined,
): [string, string][] {
  const facts = host.facts
  return [
    [` ${host.name}`, host.address],
    [
      '  └ Status',
      host.status === 'healthy' ? 'Healthy' : host.status === 'pending' ? 'Pending' : 'Unhealthy',
    ],
    ['  └ Containers', containerCounts(info)],
    ['  └ Images', String(info?.Images ?? facts?.images ?? 0)],
    ['  └ Reserved CPUs', `${formatCpus(reserved?.cpus ?? 0)} / ${facts?.ncpu ?? 0}`],
    ['  └ Reserved Memory', `${reserved?.memory ?? 0} B / ${facts?.memTotal ?? 0} B`],
    ['  └ Labels', Object.entries(host.allLabels).map(([k, v]) => `${k}=${v}`).join(', ')],
    ['  └ Error', host.lastError || '(none)'],
    ['  └ UpdatedAt', host.lastCheck?.toISOString() ?? ''],
    ['  └ ServerVersion', facts?.serverVersion ?? ''],
  ]
}

/** `N (R Running, P Paused, S Stopped)` from the host's answer now, as Swarm classic printed it. */
function containerCounts(info: InfoJson | undefined): string {
  if (!info) return '0 (host not answering)'
  const count = (key: 'Containers' | 'ContainersRunning' | 'ContainersPaused' | 'ContainersStopped') =>
    Number(info[key] ?? 0)
  return `${count('Containers')} (${count('ContainersRunning')} Running, ${
    count('ContainersPaused')
  } Paused, ` +
    `${count('ContainersStopped')} Stopped)`
}

/** `1.5`, `2`: CPUs as docker shows `--cpus`, without float noise. */
function formatCpus(cpus: number): string {
  return String(Math.round(cpus * 1000) / 1000)
}
