import { jsonBytes, readJsonBody } from '../docker/body.ts'
import { DockerError, noSuchImage } from '../docker/errors.ts'
import { ContainerStartBody } from '../docker/schemas.ts'
import type { Host } from '../flock/host.ts'
import type { FlockerContext } from '../routes/context.ts'
import type { DockerRequest } from '../routes/request.ts'

type Json = Record<string, unknown>

/**
 * The `map` hook, on the host the container goes to: it sees the image as that host has it. An image
 * the host lacks is answered as the engine would (404), so the client pulls and creates again, and
 * `map` only ever sees a real image.
 */
export async function applyMapHook(
  ctx: FlockerContext,
  host: Host,
  name: string | undefined,
  container: Json,
): Promise<Json> {
  const map = ctx.hooks.map
  if (!map) return container
  const imageRef = String(container.Image ?? '')
  const image = await inspectImage(host, imageRef)
  if (!image) throw noSuchImage(imageRef)
  const mapped = await hookCall('map', () => map(name, container, image))
  return mapped ?? container
}

/**
 * `docker start` with a `start` hook: the hook sees the container and its image as the owner host
 * has them, and the start body (empty from any client since API 1.24); the body it leaves is sent.
 */
export async function startWithHook(
  ctx: FlockerContext,
  req: DockerRequest,
  host: Host,
  path: string,
  id: string,
): Promise<Response> {
  const start = ctx.hooks.start!
  const body = (await readJsonBody(req.raw, ContainerStartBody, null)) ?? {}
  const container = await host.json<Json>(`/containers/${encodeURIComponent(id)}/json`)
  const config = (container.Config ?? {}) as Json
  const image = await inspectImage(host, String(container.Image ?? config.Image ?? ''))
  const name = String(container.Name ?? id).replace(/^\//, '')
  const booted = (await hookCall('start', () => start(name, container, image, body))) ?? body
  const send = Object.keys(booted).length ? jsonBytes(booted) : null
  const headers = new Headers(req.headers)
  if (send) headers.set('content-type', 'application/json')
  return host.request(req.method, path, { headers, body: send, signal: req.signal })
}

async function inspectImage(host: Host, ref: string): Promise<Json | null> {
  if (!ref) return null
  try {
    return await host.json<Json>(`/images/${ref}/json`)
  } catch (error) {
    if (error instanceof DockerError && error.status === 404) return null
    throw error
  }
}

/** A hook that throws fails the request with its message, as a Docker error the client prints. */
async function hookCall<T>(hook: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof DockerError) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new DockerError(500, `flocker: the ${hook} hook refused: ${message}`)
  }
}
