import type { InfoJson } from '../../docker/types.ts'
import { askAll } from '../../flock/ask-all.ts'
import type { Host } from '../../flock/host.ts'
import { reservations } from '../../schedule/state.ts'
import { FLOCKER_VERSION } from '../../version.ts'
import type { FlockerContext } from '../context.ts'
import { noHostResponse } from '../no-host.ts'
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
export async function answerInfo(ctx: FlockerContext): Promise<Response> {
  await checkedHosts(ctx)
  const usable = ctx.flock.usable
  const [answers, reserved] = await Promise.all([
    askAll(usable, (host, signal) => host.json<InfoJson>('/info', { signal }), ctx.options.hostTimeout),
    reservations(usable, ctx.options.hostTimeout),
  ])
  const infos = answers.flatMap((answer) => (answer.ok ? [answer.value] : []))
  const first = infos[0]
  if (!first) return noHostResponse(ctx)
  const totals = Object.fromEntries(
    SUMMED.map((key) => [key, infos.reduce((sum, info) => sum + Number(info[key] ?? 0), 0)]),
  )
  const missing = answers.filter((answer) => !answer.ok).map((answer) => answer.host.name)
  const down = ctx.flock.all.filter((host) => host.status === 'unhealthy')
  const listError = ctx.inventory.lastListError
  const status: [string, string][] = [
    ['Role', 'flocker'],
    ['Strategy', ctx.options.strategy],
    ['Nodes', String(ctx.flock.all.length)],
    ['Healthy nodes', String(ctx.flock.all.filter((host) => host.status === 'healthy').length)],
    ...(listError ? [['List hook error', listError] as [string, string]] : []),
  ]
  for (const host of ctx.flock.all) status.push(...hostStatus(host, reserved.get(host)))
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

/** A host's rows in `SystemStatus`, as Swarm classic's `docker info` showed them. */
function hostStatus(host: Host, reserved: { memory: number; cpus: number } | undefined): [string, string][] {
  const facts = host.facts
  return [
    [` ${host.name}`, host.address],
    [
      '  └ Status',
      host.status === 'healthy' ? 'Healthy' : host.status === 'pending' ? 'Pending' : 'Unhealthy',
    ],
    ['  └ Containers', facts ? `${facts.containers} (${facts.containersRunning} running)` : '0'],
    ['  └ Images', String(facts?.images ?? 0)],
    ['  └ Reserved CPUs', `${formatCpus(reserved?.cpus ?? 0)} / ${facts?.ncpu ?? 0}`],
    ['  └ Reserved Memory', `${reserved?.memory ?? 0} B / ${facts?.memTotal ?? 0} B`],
    ['  └ Labels', Object.entries(host.allLabels).map(([k, v]) => `${k}=${v}`).join(', ')],
    ['  └ Error', host.lastError || '(none)'],
    ['  └ UpdatedAt', host.lastCheck?.toISOString() ?? ''],
    ['  └ ServerVersion', facts?.serverVersion ?? ''],
  ]
}

/** `1.5`, `2`: CPUs as docker shows `--cpus`, without float noise. */
function formatCpus(cpus: number): string {
  return String(Math.round(cpus * 1000) / 1000)
}
