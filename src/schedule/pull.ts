import { splitImageRef } from '../docker/image-ref.ts'
import { jsonMessages } from '../docker/json-lines.ts'
import type { ProgressJson } from '../docker/types.ts'
import { engineMessage, type Host } from '../flock/host.ts'
import { hostNamed, type Placement } from './scheduler.ts'

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
    const error = (message as ProgressJson | null)?.error
    if (typeof error === 'string') failure = error
  }
  return failure === undefined ? { ok: true } : { ok: false, message: failure }
}

/**
 * The hosts a pull of `image` goes to: the host a create is waiting on for it (the CLI's
 * create -> 404 -> pull -> create dance), else where the `route` hook says, else every usable host.
 */
export async function pullTargets(placement: Placement, image: string): Promise<Host[]> {
  const { flock, memory } = placement
  const route = placement.hooks.route
  const pending = memory.pendingHost(image)
  if (pending && flock.usable.includes(pending)) return [pending]
  if (!route) return flock.usable
  const picked = await route({ kind: 'pull', image }, flock.usable)
  return picked === undefined ? flock.usable : [hostNamed(placement, picked)]
}
