import { askAll } from '../../flock/fanout.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { missingHostsHeader } from './merged.ts'
import { noHostResponse } from './system.ts'

const LISTS = ['Images', 'Containers', 'Volumes', 'BuildCache'] as const

/** `docker system df` across the flock: every host's objects, layer sizes summed. */
export async function answerDiskUsage(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) => host.json<Record<string, any>>(req.upstreamPath('/system/df'), { signal }),
    ctx.options.hostTimeout,
  )
  const ok = answers.flatMap((answer) => (answer.ok ? [answer] : []))
  if (!ok.length) return noHostResponse(ctx)
  const body: Record<string, unknown> = { LayersSize: 0 }
  for (const list of LISTS) body[list] = []
  for (const { value } of ok) {
    body.LayersSize = Number(body.LayersSize) + Number(value.LayersSize ?? 0)
    for (const list of LISTS) (body[list] as unknown[]).push(...(value[list] ?? []))
  }
  return Response.json(body, { headers: missingHostsHeader(answers) })
}
