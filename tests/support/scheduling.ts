import { Host } from '../../src/flock/host.ts'
import type { EngineFacts } from '../../src/flock/host.ts'
import type { ContainerSummary, HostState } from '../../src/schedule/state.ts'
import type { RuntimeAdapter } from '../../src/runtime/types.ts'

const GIB = 1024 ** 3

/** A host with facts and no engine behind it (the scheduler's pure part never calls it). */
export function fakeHost(
  name: string,
  labels: Record<string, string> = {},
  facts: Partial<EngineFacts> = {},
) {
  const host = new Host(
    name,
    { kind: 'tcp', host: '127.0.0.1', port: 1 } as never,
    labels,
    {} as RuntimeAdapter,
  )
  host.status = 'healthy'
  host.facts = {
    id: name,
    name,
    ncpu: 2,
    memTotal: 4 * GIB,
    os: 'Debian',
    osType: 'linux',
    kernelVersion: '6.1',
    serverVersion: '20.10.24',
    apiVersion: '1.41',
    storageDriver: 'overlay2',
    labels: {},
    containers: 0,
    containersRunning: 0,
    images: 1,
    ...facts,
  }
  return host
}

export function container(name: string, extra: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    id: `${name}0123456789abcdef`,
    names: [name],
    image: 'busybox:local',
    imageId: 'sha256:aaa',
    labels: {},
    state: 'running',
    ...extra,
  }
}

export function state(
  host: Host,
  containers: ContainerSummary[] = [],
  tags: string[] = ['busybox:local'],
  volumes: string[] = [],
  networks: string[] = [],
): HostState {
  const volumeList = volumes.map((name) => ({
    name,
    labels: { 'com.docker.compose.project': name.split('_')[0]! },
  }))
  const networkList = networks.map((name) => ({ name, id: `${name}-id-0123456789abcdef` }))
  return {
    host,
    containers,
    images: [{ id: 'sha256:aaa', tags }],
    volumes: volumeList,
    networks: networkList,
  }
}

export { GIB }
