import { errorResponse, unavailable } from '../../docker/errors.ts'
import { highestVersion, lowestVersion } from '../../docker/version.ts'
import { askAll, describeFailures } from '../../flock/fanout.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import type { SystemEndpoint } from '../table.ts'
import { answerEvents } from './events.ts'
import { answerInfo } from './info.ts'
import { answerDiskUsage } from './disk-usage.ts'

export const FLOCKER_VERSION = '0.1.0'

/** The answers flocker gives for the flock as a whole. */
export function system(endpoint: SystemEndpoint) {
  return (ctx: FlockerContext, req: DockerRequest): Promise<Response> => {
    switch (endpoint) {
      case 'ping':
        return answerPing(ctx, req)
      case 'version':
        return answerVersion(ctx, req)
      case 'info':
        return answerInfo(ctx, req)
      case 'events':
        return answerEvents(ctx, req)
      case 'df':
        return answerDiskUsage(ctx, req)
    }
  }
}

/** Hosts with known facts; checks them first if none has been checked yet. */
export async function checkedHosts(ctx: FlockerContext): Promise<Host[]> {
  if (ctx.flock.all.some((host) => host.status === 'pending')) await ctx.health.checkAll()
  return ctx.flock.usable.filter((host) => host.facts)
}

/** The API version every usable host speaks: the lowest of theirs. */
export function flockApiVersion(hosts: readonly Host[]): string | undefined {
  return lowestVersion(hosts.map((host) => host.facts!.apiVersion))
}

async function answerPing(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const hosts = await checkedHosts(ctx)
  const apiVersion = flockApiVersion(hosts)
  if (!apiVersion) return noHostResponse(ctx)
  const headers = {
    'API-Version': apiVersion,
    'OSType': hosts[0]!.facts!.osType,
    'Docker-Experimental': 'false',
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    'Pragma': 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
  }
  if (req.method === 'HEAD') {
    return new Response(null, { status: 200, headers: { ...headers, 'Content-Length': '0' } })
  }
  return new Response('OK', { status: 200, headers })
}

async function answerVersion(ctx: FlockerContext, _req: DockerRequest): Promise<Response> {
  const hosts = await checkedHosts(ctx)
  const answers = await askAll(
    hosts,
    (host, signal) => host.json<Record<string, any>>('/version', { signal }),
    ctx.options.hostTimeout,
  )
  const versions = answers.flatMap((answer) => (answer.ok ? [answer.value] : []))
  const first = versions[0]
  if (!first) return noHostResponse(ctx)
  const body = {
    ...first,
    Platform: { Name: `flocker ${FLOCKER_VERSION} (${hosts.length} hosts)` },
    ApiVersion: lowestVersion(versions.map((v) => String(v.ApiVersion))),
    MinAPIVersion: highestVersion(versions.map((v) => String(v.MinAPIVersion ?? ''))) ?? first.MinAPIVersion,
    Components: [
      { Name: 'flocker', Version: FLOCKER_VERSION, Details: { Hosts: String(hosts.length) } },
      ...versions.flatMap((v, i) =>
        (v.Components ?? []).map((c: Record<string, any>) => ({
          ...c,
          Name: `${answers[i]!.host.name}/${c.Name}`,
        }))
      ),
    ],
  }
  const failures = describeFailures(answers)
  return Response.json(body, { headers: failures ? { 'X-Flocker-Missing-Hosts': failures } : {} })
}

export function noHostResponse(ctx: FlockerContext): Response {
  const reasons = ctx.flock.all.map((host) => `${host.name}: ${host.lastError || host.status}`).join('; ')
  const error = unavailable(
    ctx.flock.all.length
      ? `flocker: no docker host is reachable (${reasons})`
      : 'flocker: the flock has no hosts',
  )
  return errorResponse(error.status, error.message)
}
