/**
 * Image references, one set of rules for the whole of flocker: `name[:tag]` or `name@digest`, where a
 * digest is `algorithm:hex` (so a "tag" holding a colon is a digest), and a bare name means `:latest`.
 */

/** `redis` -> [`redis`, `latest`]; `reg:5000/a/b:1` -> [`reg:5000/a/b`, `1`]; digests stay whole. */
export function splitImageRef(ref: string): { name: string; tag: string } {
  const at = ref.indexOf('@')
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) }
  const colon = ref.lastIndexOf(':')
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) }
  return { name: ref, tag: 'latest' }
}

/** The reference a name and a tag or digest make (as pull's `fromImage`+`tag`, push's name+`tag`). */
export function joinImageRef(name: string, tag: string | null | undefined): string {
  if (!tag) return name
  return tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`
}

/** `busybox` -> `busybox:latest`, `docker.io/library/busybox` -> `busybox:latest`. */
export function normalizeImageRef(ref: string): string {
  let name = ref.replace(/^docker\.io\//, '').replace(/^library\//, '')
  if (name.includes('@')) return name
  const lastSlash = name.lastIndexOf('/')
  if (!name.slice(lastSlash + 1).includes(':')) name += ':latest'
  return name
}

/**
 * The shortest image ID prefix flocker takes as an ID (docker's short ID): a shorter one could be a
 * name or tag as well. The placement filters and image lookups use the same rule.
 */
export const SHORT_ID_LENGTH = 12

/** Whether `ref` is the image ID `id`, or a prefix of it at least a short ID long. */
export function matchesImageId(id: string, ref: string): boolean {
  const bare = id.replace(/^sha256:/, '')
  const wanted = ref.replace(/^sha256:/, '')
  return id !== '' && (id === ref || (wanted.length >= SHORT_ID_LENGTH && bare.startsWith(wanted)))
}
