/**
 * Images per tenant (`tenantImages: per-tenant`): who owns an image is kept on the engines themselves,
 * as tags in a reserved namespace, so it survives a flocker restart and holds across replicas.
 * Image labels cannot serve: they are fixed by the image's content (two tenants' pulls of one image
 * are one image ID), and a pull or load cannot add any.
 *
 * - `flocker-owned/TENANT:i-<image ID hex>`: the tenant owns the image (it may use it by ID).
 * - `flocker-owned/TENANT:r-<hash of REF>` on the same image as REF: the tenant owns the tag REF.
 *
 * A tenant name that is not a valid repository path component is hex-encoded under `flocker-owned-x/`.
 */
import { normalizeImageRef, splitImageRef } from '../docker/image-ref.ts'

const READABLE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const RESERVED = /^(?:docker\.io\/)?flocker-owned(?:-x)?\//

/** The repository of the tenant's ownership tags. */
export function markRepo(tenant: string): string {
  if (READABLE.test(tenant)) return `flocker-owned/${tenant}`
  return `flocker-owned-x/${[...new TextEncoder().encode(tenant)].map(hex2).join('')}`
}

/** The tag that says the tenant owns image `id` (`sha256:...`). */
export function idMark(tenant: string, id: string): string {
  return `${markRepo(tenant)}:i-${id.replace(/^sha256:/, '')}`
}

/** The tag that says the tenant owns the tag `ref` (on the image `ref` and this mark both name). */
export async function refMark(tenant: string, ref: string): Promise<string> {
  return `${markRepo(tenant)}:${await refMarkTag(ref)}`
}

/** The tag part of every tenant's mark for `ref`: one engine-side pattern finds all holders. */
export async function refMarkTag(ref: string): Promise<string> {
  const bytes = new TextEncoder().encode(normalizeImageRef(ref))
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return `r-${[...digest.slice(0, 20)].map(hex2).join('')}`
}

/** Whether a reference is in the reserved namespace (no tenant may name, tag or pull into it). */
export function isReserved(ref: string): boolean {
  return RESERVED.test(ref.trim().toLowerCase())
}

/** Whether a tag an engine lists is an ownership mark (of any tenant). */
export const isMark = (tag: string) => isReserved(tag)

/** The repository a mark belongs to (`flocker-owned/TENANT`). */
export const repoOf = (tag: string) => splitImageRef(tag).name.replace(/^docker\.io\//, '')

export interface OwnedView {
  /** The tenant owns the image. */
  readonly owned: boolean
  /** The tags (`repo:tag`) the tenant owns on it. */
  readonly tags: string[]
  /** The digests (`repo@sha256:...`) of the repositories of those tags. */
  readonly digests: string[]
}

/** What of an image (its RepoTags and RepoDigests as an engine lists them) is the tenant's. */
export async function ownedView(
  tenant: string,
  image: { Id?: unknown; RepoTags?: unknown; RepoDigests?: unknown },
): Promise<OwnedView> {
  const all = stringsOf(image.RepoTags)
  const id = String(image.Id ?? '')
  const owned = id !== '' && all.includes(idMark(tenant, id))
  if (!owned) return { owned, tags: [], digests: [] }
  const marks = new Set(all.filter(isMark))
  const tags: string[] = []
  for (const tag of all) {
    if (!isMark(tag) && marks.has(await refMark(tenant, tag))) tags.push(tag)
  }
  const repos = new Set(tags.map((tag) => splitImageRef(tag).name))
  const digests = stringsOf(image.RepoDigests).filter((d) => repos.has(splitImageRef(d).name))
  return { owned, tags, digests }
}

/** An image ID, full: `sha256:` and 64 hex digits, or the 64 digits alone (as dockerd reads them). */
export function fullImageId(ref: string): string | undefined {
  const match = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref)
  return match ? `sha256:${match[1]}` : undefined
}

export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String).filter((s) => !s.startsWith('<none>')) : []
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
