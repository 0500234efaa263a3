import type { Host } from '../flock/host.ts'
import type { FlockerHooks, RouteInfo } from '../hooks.ts'
import { formatEndpoint, parseEndpoint } from '../addresses/endpoint.ts'
import type { LegacyHostSpec } from '../options.ts'
import { type Callback, callbackToPromise } from './callbacks.ts'

type Json = Record<string, unknown>

// deno-lint-ignore ban-types
export type Listener = Function

/** A docker host in the original's shape: `{ hostname: 'node1', docker: '127.0.0.1:2375' }`. */
export type Server = LegacyHostSpec & Record<string, unknown>

/** What `route` may answer: a server, a host name or address, or nothing (flocker's scheduler picks). */
export type ServerChoice = Server | string | null | undefined

/** The typed hooks, each answering through the listeners of its event (looked up at call time). */
export function hooksFrom(
  listenersOf: (event: string) => Listener[],
  list: NonNullable<FlockerHooks['list']>,
): FlockerHooks {
  return {
    list,
    get route() {
      const listener = listenersOf('route')[0]
      return listener && ((info: RouteInfo, hosts: readonly Host[]) => route(listener, info, hosts))
    },
    get map() {
      const listeners = listenersOf('map')
      if (!listeners.length) return undefined
      return (name: string | undefined, container: Json, image: Json | null) =>
        chain(listeners, container, (fn, current, next) => fn(name, current, image, next))
    },
    get start() {
      const listeners = listenersOf('start')
      if (!listeners.length) return undefined
      return (name: string, container: Json, image: Json | null, body: Json) =>
        start(listeners, name, container, image, body)
    },
  }
}

async function route(listener: Listener, info: RouteInfo, hosts: readonly Host[]) {
  const choice = await callbackToPromise<ServerChoice>((next) => listener(info, next))
  if (choice === null || choice === undefined || choice === '') return undefined
  if (typeof choice === 'string') return hostByNameOrAddress(hosts, choice, choice) ?? choice
  return hostByNameOrAddress(hosts, choice.hostname, choice.docker) ?? choice.hostname
}

function hostByNameOrAddress(hosts: readonly Host[], name: string, address: string): Host | undefined {
  return hosts.find((host) => host.name === name) ?? hosts.find((host) => host.address === normalise(address))
}

function normalise(address: string): string {
  try {
    return formatEndpoint(parseEndpoint(address))
  } catch {
    return address
  }
}

/** Runs listeners one after another; each gets the body the previous one left (or returned). */
async function chain(
  listeners: readonly Listener[],
  body: Json,
  call: (listener: Listener, body: Json, next: Callback<Json | void>) => unknown,
): Promise<Json> {
  let current = body
  for (const listener of listeners) {
    const returned = await callbackToPromise<Json | void>((next) => call(listener, current, next))
    if (returned && typeof returned === 'object') current = returned
  }
  return current
}

/**
 * The original's boot record was the start body, which carried HostConfig. Clients stopped sending
 * one with API 1.24: then the hooks see the container's HostConfig, read-only (the engine takes it
 * at create, so a change belongs in `map`), and a change is refused rather than silently lost.
 */
async function start(
  listeners: readonly Listener[],
  name: string,
  container: Json,
  image: Json | null,
  body: Json | null,
) {
  const sent = body !== null && typeof body === 'object' && Object.keys(body).length > 0
  const boot = sent ? body : structuredClone((container.HostConfig ?? {}) as Json)
  const before = JSON.stringify(boot)
  const after = await chain(listeners, boot, (fn, current, next) => fn(name, container, image, current, next))
  if (sent) return after
  if (JSON.stringify(after) !== before) {
    throw new Error(
      'the start listener changed the boot record (HostConfig), which engines take at create since ' +
        'API 1.24: change containerJSON.HostConfig in the map listener instead',
    )
  }
  return undefined
}
