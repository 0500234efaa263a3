import { encodeJsonLine, jsonMessages } from '../../docker/json-lines.ts'
import { mergeSources } from '../../docker/merge-streams.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'

/**
 * `docker events` for the flock: one stream merged from every usable host, each event tagged with
 * its host (`Actor.Attributes["flocker.host"]`, and a `node` object as Swarm classic sent).
 * `since`, `until` and `filters` are passed to each engine, which applies them.
 */
export function answerEvents(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const hosts = ctx.flock.usable
  const path = req.upstreamPath('/events')
  const stream = mergeSources(hosts.map((host) => (signal: AbortSignal) => hostEvents(host, path, signal)))
  return Promise.resolve(
    new Response(stream, { headers: { 'Content-Type': 'application/json', 'Docker-Experimental': 'false' } }),
  )
}

async function* hostEvents(host: Host, path: string, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let response: Response
  try {
    response = await host.request('GET', path, { signal })
  } catch {
    return // a host that cannot be reached adds nothing; the others still stream
  }
  if (!response.ok || !response.body) return
  try {
    for await (const event of jsonMessages(response.body)) yield encodeJsonLine(tagEvent(event, host))
  } catch (error) {
    if (!signal.aborted) return
    throw error
  }
}

export function tagEvent(event: unknown, host: Host): unknown {
  if (typeof event !== 'object' || event === null) return event
  const record = event as Record<string, any>
  const actor = record.Actor ?? {}
  return {
    ...record,
    Actor: { ...actor, Attributes: { ...(actor.Attributes ?? {}), 'flocker.host': host.name } },
    node: { Name: host.name, Addr: host.address },
  }
}
