import { jsonMessages } from '../docker/json-lines.ts'
import { engineMessage, type Host } from '../flock/host.ts'

/** `redis` -> [`redis`, `latest`]; `reg:5000/a/b:1` -> [`reg:5000/a/b`, `1`]; digests stay whole. */
export function splitImageRef(ref: string): { name: string; tag: string } {
  const at = ref.indexOf('@')
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) }
  const colon = ref.lastIndexOf(':')
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) }
  return { name: ref, tag: 'latest' }
}

/**
 * Pulls an image onto one host, forwarding the client's registry credentials. Always names a tag:
 * a bare name would make the engine pull every tag. Resolves with the error the engine reported
 * in its progress stream, if any.
 */
export async function pullImage(
  host: Host,
  image: string,
  registryAuth: string | null,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const { name, tag } = splitImageRef(image)
  const query = new URLSearchParams({ fromImage: name, tag })
  const headers = new Headers()
  if (registryAuth) headers.set('x-registry-auth', registryAuth)
  const response = await host.request('POST', `/images/create?${query}`, { headers, signal })
  if (!response.ok) return { ok: false, message: engineMessage(await response.text()) }
  if (!response.body) return { ok: true }
  let failure: string | undefined
  for await (const message of jsonMessages(response.body)) {
    const error = (message as { error?: unknown } | null)?.error
    if (typeof error === 'string') failure = error
  }
  return failure === undefined ? { ok: true } : { ok: false, message: failure }
}
