/**
 * A tenant's images on one host (`tenantImages: per-tenant`), by the ownership tags of
 * image-marks.ts. The engine is never asked to resolve a tenant's reference on its own terms: a
 * name counts only where the tenant's mark for it sits on the same image, an ID or ID prefix is
 * matched among the tenant's own image IDs, so another tenant's image can neither match nor make a
 * prefix ambiguous.
 */
import { DockerError } from '../docker/errors.ts'
import { normalizeImageRef, splitImageRef } from '../docker/image-ref.ts'
import { fillPath } from '../docker/path.ts'
import type { Host } from '../flock/host.ts'
import {
  fullImageId,
  idMark,
  isMark,
  markRepo,
  refMark,
  refMarkTag,
  repoOf,
  stringsOf,
} from './image-marks.ts'

type Json = Record<string, unknown>

export interface OwnedImage {
  /** The image ID (`sha256:...`). */
  readonly id: string
  /** The tenant's tag the reference named (familiar `repo:tag`), when it named one. */
  readonly tag?: string
  /** The engine's inspect of the image (its RepoTags include every tenant's marks). */
  readonly body: Json
}

/** The tenant's image a reference names on this host, in dockerd's order: ID, name, ID prefix. */
export async function ownedImageOn(
  host: Host,
  tenant: string,
  ref: string,
  signal?: AbortSignal,
): Promise<OwnedImage | undefined> {
  const full = fullImageId(ref)
  if (full) {
    const body = await inspectImage(host, idMark(tenant, full), signal)
    return body?.Id === full ? { id: full, body } : undefined
  }
  if (ref.includes('@')) {
    const body = await inspectImage(host, ref, signal)
    const id = String(body?.Id ?? '')
    return body && stringsOf(body.RepoTags).includes(idMark(tenant, id)) ? { id, body } : undefined
  }
  const named = await inspectImage(host, ref, signal)
  if (named && stringsOf(named.RepoTags).includes(await refMark(tenant, ref))) {
    return { id: String(named.Id), tag: normalizeImageRef(ref), body: named }
  }
  const prefix = /^(?:sha256:)?([0-9a-f]+)$/.exec(ref)?.[1]
  if (!prefix) return undefined
  const ids = (await ownedImageIds(host, tenant, signal)).filter((id) => id.slice(7).startsWith(prefix))
  if (ids.length !== 1) return undefined
  const body = await inspectImage(host, idMark(tenant, ids[0]!), signal)
  return body ? { id: ids[0]!, body } : undefined
}

/** The IDs of the tenant's images on this host (one list, narrowed by the engine to its marks). */
export async function ownedImageIds(host: Host, tenant: string, signal?: AbortSignal): Promise<string[]> {
  const filters = JSON.stringify({ reference: [`${markRepo(tenant)}:i-*`] })
  const rows = await host.json<Json[]>(`/images/json?filters=${encodeURIComponent(filters)}`, { signal })
  return (rows ?? []).map((row) => String(row.Id))
}

/**
 * Whether another tenant holds the tag `ref` on this host (its mark for `ref` is there, wherever the
 * tag points now): the ID of the image that tenant's mark is on, else undefined. A tenant may not
 * move or take such a tag.
 */
export async function heldBy(
  host: Host,
  tenant: string,
  ref: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const tag = await refMarkTag(ref)
  const filters = JSON.stringify({ reference: [`flocker-owned/*:${tag}`, `flocker-owned-x/*:${tag}`] })
  const rows = await host.json<Json[]>(`/images/json?filters=${encodeURIComponent(filters)}`, { signal })
  const mine = markRepo(tenant)
  const row = (rows ?? []).find((row) =>
    stringsOf(row.RepoTags).some((t) => isMark(t) && t.endsWith(`:${tag}`) && repoOf(t) !== mine)
  )
  return row ? String(row.Id) : undefined
}

/** Makes the image the tenant's, and the tag `ref` (which must name that image there) too. */
export async function markOwned(host: Host, tenant: string, id: string, ref?: string): Promise<void> {
  await tagImage(host, id, idMark(tenant, id))
  if (ref) await tagImage(host, id, await refMark(tenant, ref))
}

/** Removes one tag (a mark or a tenant's tag); the engine's list of what went, or the error. */
export async function untag(host: Host, ref: string, force: boolean): Promise<Json[]> {
  const query = force ? '?force=1' : ''
  return await host.json<Json[]>(`${fillPath('/images/{name*}', { name: ref })}${query}`, {
    method: 'DELETE',
  }) ?? []
}

async function tagImage(host: Host, id: string, ref: string): Promise<void> {
  const { name, tag } = splitImageRef(ref)
  const query = new URLSearchParams({ repo: name, tag })
  await host.json(`${fillPath('/images/{name*}/tag', { name: id })}?${query}`, { method: 'POST' })
}

export async function inspectImage(host: Host, ref: string, signal?: AbortSignal): Promise<Json | undefined> {
  try {
    return await host.json<Json>(fillPath('/images/{name*}/json', { name: ref }), { signal })
  } catch (error) {
    if (error instanceof DockerError && error.status === 404) return undefined
    throw error
  }
}
