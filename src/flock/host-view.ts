import { displayName, type NameStyle } from '../docker/refs.ts'
import type { ContainerInspectJson } from '../docker/types.ts'
import type { Host } from './host.ts'

/** The label flocker adds to every container (and image, network, volume) it shows: the host's name. */
export const HOST_LABEL = 'flocker.host'

/** The `Node` object Swarm classic put in container inspect, so tools written for it keep working. */
export function nodeObject(host: Host): Record<string, unknown> {
  return {
    ID: host.facts?.id ?? '',
    IP: host.endpoint.kind === 'tcp' ? host.endpoint.host : '',
    Addr: host.address,
    Name: host.name,
    Cpus: host.facts?.ncpu ?? 0,
    Memory: host.facts?.memTotal ?? 0,
    Labels: host.allLabels,
  }
}

/** An engine's container inspect as flocker shows it. */
export function containerInspectWithHost(
  body: ContainerInspectJson,
  host: Host,
  names: NameStyle,
): ContainerInspectJson {
  const config = body.Config ?? {}
  return {
    ...body,
    Name: typeof body.Name === 'string' ? displayName(body.Name, host.name, names) : body.Name,
    Config: { ...config, Labels: { ...(config.Labels ?? {}), [HOST_LABEL]: host.name } },
    Node: nodeObject(host),
  }
}

/** A listed object (container, volume, network, plugin, df entry) with its host in its labels. */
export function withHostLabel<T extends { Labels?: Record<string, string> | null }>(item: T, host: Host): T {
  return { ...item, Labels: { ...(item.Labels ?? {}), [HOST_LABEL]: host.name } }
}
