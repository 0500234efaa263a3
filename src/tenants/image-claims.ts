/**
 * Per-tenant images: what makes an image a tenant's own. Pull, load, import, build, commit and tag
 * are judged before they run (a tag another tenant holds is refused, the reserved namespace is
 * nobody's), and what they made is marked the tenant's on every host that has it afterwards.
 */
import { badRequest, conflict } from '../docker/errors.ts'
import { encodeJsonLine, jsonMessages } from '../docker/json-lines.ts'
import { normalizeImageRef, splitImageRef } from '../docker/image-ref.ts'
import { askAll } from '../flock/ask-all.ts'
import type { Host } from '../flock/host.ts'
import type { FlockerContext } from '../routes/context.ts'
import { isReserved, refMarkTag, stringsOf } from './image-marks.ts'
import { heldBy, inspectImage, markOwned, untag } from './owned-images.ts'

type Json = Record<string, unknown>

/** A tag another tenant holds: refused in dockerd's conflict style, naming nothing of the holder. */
export const tagTaken = (ref: string) =>
  conflict(
    `Conflict. The image name "${normalizeImageRef(ref)}" is already in use by another tenant. ` +
      'You have to choose another name.',
  )

/** Refuses a new tag `ref` for the tenant: the reserved namespace, or a tag another tenant holds. */
export async function refuseTakenTag(ctx: FlockerContext, tenant: string, ref: string): Promise<void> {
  if (isReserved(ref)) {
    throw badRequest(`flocker: the repository of "${ref}" is reserved for flocker's own use`)
  }
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) => heldBy(host, tenant, ref, signal),
    ctx.options.hostTimeout,
  )
  // Refuse rather than leak: a host that cannot say may hold it.
  for (const answer of answers) {
    if (!answer.ok) throw answer.error
    if (answer.value) throw tagTaken(ref)
  }
}

/** What an operation made: image IDs, and tags with what they must be (an ID, a registry digest). */
export interface Made {
  readonly ids: Set<string>
  readonly tags: Map<string, { readonly id?: string; readonly digest?: string }>
}

export const nothingMade = (): Made => ({ ids: new Set(), tags: new Map() })

/**
 * Marks what was made as the tenant's on every usable host that has it. A tag another tenant held
 * before (a load's names cannot be judged before the archive is read) is put back on that tenant's
 * image, and the answer is a conflict message to add to the client's stream.
 */
export async function claim(ctx: FlockerContext, tenant: string, made: Made): Promise<string[]> {
  if (!made.ids.size && !made.tags.size) return []
  const answers = await askAll(
    ctx.flock.usable,
    (host) => claimOn(host, tenant, made),
    ctx.options.hostTimeout * 4,
  )
  const problems = new Set<string>()
  for (const answer of answers) {
    if (answer.ok) answer.value.forEach((p) => problems.add(p))
    else problems.add(`${answer.host.name}: flocker could not mark the image as yours`)
  }
  return [...problems]
}

async function claimOn(host: Host, tenant: string, made: Made): Promise<string[]> {
  const problems: string[] = []
  for (const id of made.ids) {
    const body = await inspectImage(host, id)
    if (body?.Id === id) await markOwned(host, tenant, id)
  }
  // Marks a load moved go back first, images' before tags' (a tag's mark finds its image by them).
  const rank = (ref: string) => (isReserved(ref) ? (/:i-[0-9a-f]{64}$/.test(ref) ? 0 : 1) : 2)
  for (const [ref, wanted] of [...made.tags].sort(([a], [b]) => rank(a) - rank(b))) {
    const body = await inspectImage(host, ref)
    if (!body) continue
    const id = String(body.Id)
    if (wanted.id && id !== wanted.id) continue
    if (wanted.digest && !stringsOf(body.RepoDigests).some((d) => d.endsWith(`@${wanted.digest}`))) continue
    if (isReserved(ref)) {
      // A load named an ownership mark: it is put back where it belongs (or dropped).
      await markOwned(host, tenant, id)
      await restoreMark(host, ref)
      problems.push(`flocker: the repository of "${ref}" is reserved for flocker's own use`)
      continue
    }
    const holder = await heldBy(host, tenant, ref)
    if (holder) {
      // Another tenant's tag was moved (by a load): put it back where that tenant's mark says.
      if (holder !== id) await retag(host, holder, ref)
      await markOwned(host, tenant, id)
      problems.push(tagTaken(ref).message)
      continue
    }
    await markOwned(host, tenant, id, ref)
  }
  return problems
}

/**
 * A mark a load moved onto its image: an image's mark goes back to the image its name gives, a
 * tag's mark to the image that has the tag and its tenant's image mark; else it is removed.
 */
export async function restoreMark(host: Host, mark: string): Promise<void> {
  const { name, tag } = splitImageRef(mark)
  const repo = name.replace(/^docker\.io\//, '')
  let home: string | undefined
  const image = /^i-([0-9a-f]{64})$/.exec(tag)
  if (image) home = (await inspectImage(host, `sha256:${image[1]}`))?.Id as string | undefined
  else if (/^r-[0-9a-f]{40}$/.test(tag)) {
    for (const row of await host.json<Json[]>('/images/json') ?? []) {
      const tags = stringsOf(row.RepoTags)
      if (!tags.includes(`${repo}:i-${String(row.Id).replace(/^sha256:/, '')}`)) continue
      for (const t of tags) if (!isReserved(t) && await refMarkTag(t) === tag) home = String(row.Id)
    }
  }
  if (home) await retag(host, home, mark)
  else await untag(host, mark, false)
}

async function retag(host: Host, id: string, ref: string): Promise<void> {
  const name = normalizeImageRef(ref)
  const colon = name.lastIndexOf(':')
  const query = new URLSearchParams({ repo: name.slice(0, colon), tag: name.slice(colon + 1) })
  await host.json(`/images/${encodeURIComponent(id)}/tag?${query}`, { method: 'POST' })
}

/**
 * The client's JSON-lines stream (pull, load, import, build) as it came, each message also shown to
 * `see`; at its end, `finish` runs before the stream closes (so the image is the tenant's when the
 * client's command returns), and what it says is added as error messages.
 */
export function tapped(
  response: Response,
  see: (message: Json) => void,
  finish: () => Promise<string[]>,
): Response {
  if (!response.ok || !response.body) return response
  const body = response.body
  const lines = (async function* () {
    for await (const message of jsonMessages(body)) {
      if (typeof message === 'object' && message !== null) see(message as Json)
      yield encodeJsonLine(message)
    }
    let problems: string[]
    try {
      problems = await finish()
    } catch (error) {
      problems = [`flocker could not mark the image as yours: ${(error as Error).message}`]
    }
    for (const message of problems) yield encodeJsonLine({ error: message, errorDetail: { message } })
  })()
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await lines.next()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    async cancel() {
      await lines.return(undefined)
    },
  })
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(stream, { status: response.status, headers })
}

const FULL_ID = /^sha256:[0-9a-f]{64}$/

/** Collects what a stream tells of the images it made (aux IDs, imports' IDs, loads' names and IDs, digests). */
export function watcher(made: Made, onDigest?: (digest: string) => void): (message: Json) => void {
  return (message) => {
    const aux = message.aux as Json | undefined
    if (aux && typeof aux.ID === 'string' && FULL_ID.test(aux.ID)) made.ids.add(aux.ID)
    const status = typeof message.status === 'string' ? message.status : ''
    if (FULL_ID.test(status)) made.ids.add(status)
    const digest = /^Digest: (sha256:[0-9a-f]{64})$/.exec(status)
    if (digest) onDigest?.(digest[1]!)
    const stream = typeof message.stream === 'string' ? message.stream.trim() : ''
    const loadedId = /^Loaded image ID: (sha256:[0-9a-f]{64})$/.exec(stream)
    if (loadedId) made.ids.add(loadedId[1]!)
    const loaded = /^Loaded image: (\S+)$/.exec(stream)
    if (loaded) made.tags.set(loaded[1]!, {})
  }
}
