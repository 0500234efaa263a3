import { askAll } from '../../flock/fanout.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { missingHostsHeader, withHostLabel } from './merged.ts'
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
  for (const { host, value } of ok) {
    body.LayersSize = Number(body.LayersSize) + Number(value.LayersSize ?? 0)
    for (const list of LISTS) {
      // Per-host objects: each carries its host, like the lists do (an image on two hosts is two rows).
      const items = (value[list] ?? []) as Record<string, any>[]
      ;(body[list] as unknown[]).push(
        ...items.map((item) => list === 'BuildCache' ? item : withHostLabel(item, host)),
      )
    }
  }
  return Response.json(body, { headers: missingHostsHeader(answers, ctx) })
}
