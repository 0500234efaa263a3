import { noteHost } from '../../observe/scope.ts'
import type { DiskUsageJson, LabelledJson } from '../../docker/types.ts'
import { askAll } from '../../flock/ask-all.ts'
import { withHostLabel } from '../../flock/host-view.ts'
import type { FlockerContext } from '../context.ts'
import { missingHostsHeader } from '../missing-hosts.ts'
import { noHostResponse } from '../no-host.ts'
import type { DockerRequest } from '../request.ts'

const LABELLED = ['Images', 'Containers', 'Volumes'] as const

/** `docker system df` across the flock: every host's objects, layer sizes summed. */
export async function answerDiskUsage(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) => host.json<DiskUsageJson>(req.upstreamPath('/system/df'), { signal }),
    ctx.options.hostTimeout,
  )
  for (const answer of answers) noteHost(req.signal, answer.host.name, 'asked')
  const ok = answers.flatMap((answer) => (answer.ok ? [answer] : []))
  if (!ok.length) return noHostResponse(ctx)
  const lists: Record<(typeof LABELLED)[number], LabelledJson[]> = { Images: [], Containers: [], Volumes: [] }
  const body = { LayersSize: 0, ...lists, BuildCache: [] as unknown[] }
  const seenImages = new Set<string>()
  for (const { host, value } of ok) {
    body.LayersSize += Number(value.LayersSize ?? 0)
    // Per-host objects carry their host; an image on several hosts is one row, as in the image list
    // (the first host's; `docker info` counts it once too).
    for (const list of LABELLED) {
      const items = (value[list] ?? []).filter((item) =>
        list !== 'Images' || !seenImages.has(String(item.Id))
      )
      items.forEach((item) => list === 'Images' && seenImages.add(String(item.Id)))
      body[list].push(...items.map((item) => withHostLabel(item, host)))
    }
    body.BuildCache.push(...(value.BuildCache ?? []))
  }
  return Response.json(body, { headers: missingHostsHeader(answers, ctx.flock) })
}
