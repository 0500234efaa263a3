import { bodyCopies } from '../../docker/body-copies.ts'
import { errorText } from '../../docker/errors.ts'
import { joinImageRef } from '../../docker/image-ref.ts'
import { encodeJsonLine, jsonMessages } from '../../docker/json-lines.ts'
import { mergeSources } from '../../docker/merge-streams.ts'
import { isParsedByClients } from '../../docker/progress-shapes.ts'
import type { ProgressJson, PruneJson } from '../../docker/types.ts'
import { engineMessage, type Host } from '../../flock/host.ts'
import { pullTargets } from '../../schedule/pull.ts'
import { buildRequest } from '../../schedule/request.ts'
import { place } from '../../schedule/scheduler.ts'
import type { FlockerContext, Handler } from '../context.ts'
import { noHostResponse } from '../no-host.ts'
import type { DockerRequest } from '../request.ts'
import type { EveryHostMerge, EveryHostTargets } from '../table.ts'

type Answer = { host: Host; response: Response }

const targetHosts: Record<EveryHostTargets, (ctx: FlockerContext, req: DockerRequest) => Promise<Host[]>> = {
  usable: (ctx) => Promise.resolve(ctx.flock.usable),
  'pull-targets': pullHosts,
}

/**
 * Sent to every usable host (or, for a pull, the hosts placement picks): pull, load and import land
 * on the whole flock, prunes clean every host, networks exist wherever a container may land.
 */
export function everyHost(merge: EveryHostMerge, targets: EveryHostTargets): Handler {
  const pickHosts = targetHosts[targets]
  return async (ctx, req, _params, path) => {
    const hosts = await pickHosts(ctx, req)
    if (!hosts.length) return noHostResponse(ctx)
    const answers = await sendToAll(hosts, req, req.upstreamPath(path))
    switch (merge) {
      case 'progress':
        return mergeProgress(answers)
      case 'prune':
        return mergePrune(answers)
      case 'first':
        return firstAnswer(answers)
    }
  }
}

/**
 * A pull (`fromImage`) goes where placement says. An import (`fromSrc`) goes to one host, chosen as
 * for a build: each host would give the imported image an ID of its own (its creation time is in it),
 * and the client reads one ID from the answer, as from one engine; creates that name it go there.
 */
async function pullHosts(ctx: FlockerContext, req: DockerRequest): Promise<Host[]> {
  const name = req.url.searchParams.get('fromImage')
  if (!name) {
    const repo = req.url.searchParams.get('repo')
    const tag = req.url.searchParams.get('tag')
    const { host, done } = await place(
      ctx.placement,
      buildRequest(repo ? joinImageRef(repo, tag) : undefined, []),
    )
    done()
    return [host]
  }
  return pullTargets(ctx.placement, joinImageRef(name, req.url.searchParams.get('tag')))
}

export function sendToAll(hosts: readonly Host[], req: DockerRequest, path: string): Promise<Answer[]> {
  const body = req.body()
  const bodies = body instanceof ReadableStream ? bodyCopies(body, hosts.length) : hosts.map(() => body)
  return Promise.all(hosts.map(async (host, i) => {
    try {
      return {
        host,
        response: await host.request(req.method, path, {
          headers: req.headers,
          body: bodies[i],
          signal: req.signal,
        }),
      }
    } catch (error) {
      // A host that cannot be reached must not stall the others' share of the body.
      await (bodies[i] as ReadableStream | null)?.cancel?.().catch(() => {})
      const message = errorText(error)
      return { host, response: Response.json({ message }, { status: 502 }) }
    }
  }))
}

/**
 * One progress stream for the flock. With several hosts each message names its host (progress bars
 * are keyed `host: layer`), and a host that failed adds an error message at the end so the client
 * reports it instead of a partial success.
 */
async function mergeProgress(answers: Answer[]): Promise<Response> {
  const ok = answers.filter((a) => a.response.ok)
  const failed = answers.filter((a) => !a.response.ok)
  if (!ok.length) return failed[0]!.response
  const prefix = answers.length > 1
  const failures = await Promise.all(
    failed.map(async ({ host, response }) => `${host.name}: ${engineMessage(await response.text())}`),
  )
  // A host whose stream breaks off (it died mid-pull) must not cut the others': its error is kept
  // and told after every other host has finished.
  const passed = new Set<string>()
  const sources = ok.map(({ host, response }) =>
    async function* (signal: AbortSignal) {
      try {
        yield* progressOf(host, response, prefix ? passed : null, signal)
      } catch (error) {
        if (!signal.aborted) failures.push(`${host.name}: ${errorText(error)}`)
      }
    }
  )
  const errors = async function* () {
    for (const message of failures) yield encodeJsonLine({ error: message, errorDetail: { message } })
  }
  const stream = concatStreams(mergeSources(sources), errors())
  const headers = new Headers(ok[0]!.response.headers)
  headers.delete('content-length')
  return new Response(stream, { status: ok[0]!.response.status, headers })
}

/**
 * One host's progress. With several hosts (`passed` given), each line names its host, except the lines
 * clients parse (`Loaded image: ...`, `Digest: ...`), which keep their shape and go by once.
 */
async function* progressOf(host: Host, response: Response, passed: Set<string> | null, signal: AbortSignal) {
  if (!response.body) return
  if (!passed) {
    const reader = response.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done || signal.aborted) return
        yield value
      }
    } finally {
      reader.releaseLock()
    }
  }
  for await (const message of jsonMessages(response.body)) {
    if (!isParsedByClients(message)) {
      yield encodeJsonLine(tagProgress(message, host.name))
      continue
    }
    const line = JSON.stringify(message)
    if (passed.has(line)) continue
    passed.add(line)
    yield encodeJsonLine(message)
  }
}

export function tagProgress(message: unknown, host: string): unknown {
  if (typeof message !== 'object' || message === null) return message
  const m = { ...(message as ProgressJson) }
  if (m.id) m.id = `${host}: ${m.id}`
  else if (typeof m.status === 'string') m.status = `${host}: ${m.status}`
  if (typeof m.stream === 'string') m.stream = `${host}: ${m.stream}`
  if (typeof m.error === 'string') m.error = `${host}: ${m.error}`
  if (m.errorDetail?.message) {
    m.errorDetail = { ...m.errorDetail, message: `${host}: ${m.errorDetail.message}` }
  }
  return m
}

function concatStreams(
  first: ReadableStream<Uint8Array>,
  rest: AsyncIterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  return mergeSources([
    async function* () {
      const reader = first.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        yield value
      }
      yield* rest
    },
  ])
}

const PRUNE_LISTS = [
  'ContainersDeleted',
  'ImagesDeleted',
  'VolumesDeleted',
  'NetworksDeleted',
  'CachesDeleted',
]

/** Prune answers with their lists joined and `SpaceReclaimed` summed. */
async function mergePrune(answers: Answer[]): Promise<Response> {
  const failed = answers.find((a) => !a.response.ok)
  if (failed) {
    await Promise.all(answers.filter((a) => a !== failed).map((a) => a.response.body?.cancel()))
    return failed.response
  }
  const bodies = await Promise.all(answers.map((a) => a.response.json() as Promise<PruneJson>))
  const merged: Record<string, unknown> = { SpaceReclaimed: 0 }
  for (const body of bodies) {
    merged.SpaceReclaimed = Number(merged.SpaceReclaimed) + Number(body.SpaceReclaimed ?? 0)
    for (const key of PRUNE_LISTS) {
      const list = body[key]
      if (key in body) {
        merged[key] = [...((merged[key] as unknown[]) ?? []), ...(Array.isArray(list) ? list : [])]
      }
    }
  }
  return Response.json(merged)
}

/** The first host's answer (an error if any host failed); the other answers are drained. */
export async function firstAnswer(answers: Answer[]): Promise<Response> {
  const chosen = answers.find((a) => !a.response.ok) ?? answers[0]!
  await Promise.all(answers.filter((a) => a !== chosen).map((a) => a.response.body?.cancel()))
  return chosen.response
}
