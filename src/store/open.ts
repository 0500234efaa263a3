import { MemoryStore } from './memory-store.ts'
import { DEFAULT_LEASE, DEFAULT_OPERATION_TIMEOUT, type SharedStore } from './shared-store.ts'

/**
 * The store a `--store URL` names: `redis://HOST:PORT[/DB]` or `etcd://HOST:PORT`, with optional
 * `?lease=SECONDS` (how long what a dead replica held blocks others, default 15), `?timeout=SECONDS`
 * (how long one operation may take before the store counts as down, default 5) and `?prefix=NAME`
 * (keys of one flock, default `flocker`). The client library loads only when a store is named.
 */
export async function openStore(parsed: StoreUrl | undefined): Promise<SharedStore> {
  if (!parsed) return new MemoryStore()
  if (parsed.kind === 'redis') {
    const { RedisStore } = await import('./redis-store.ts')
    return new RedisStore(parsed.url, parsed.lease, parsed.prefix)
  }
  const { EtcdStore } = await import('./etcd-store.ts')
  return new EtcdStore(parsed.url, parsed.lease, parsed.prefix, parsed.timeout)
}

export interface StoreUrl {
  readonly kind: 'redis' | 'etcd'
  readonly url: URL
  readonly lease: number
  /** How long one operation may take (ms). */
  readonly timeout: number
  readonly prefix: string
}

/** Checks a store URL; the error says what is wrong with it. */
export function parseStoreUrl(text: string): StoreUrl {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`invalid store URL "${text}": use redis://HOST:PORT[/DB] or etcd://HOST:PORT`)
  }
  const kind = url.protocol === 'redis:' ? 'redis' : url.protocol === 'etcd:' ? 'etcd' : undefined
  if (!kind || !url.hostname || !url.port) {
    throw new Error(`invalid store URL "${text}": use redis://HOST:PORT[/DB] or etcd://HOST:PORT`)
  }
  const lease = seconds(url, 'lease', DEFAULT_LEASE)
  if (!Number.isFinite(lease) || lease < 1000) {
    throw new Error(`invalid store URL "${text}": lease is a number of seconds, at least 1`)
  }
  const timeout = seconds(url, 'timeout', DEFAULT_OPERATION_TIMEOUT)
  if (!Number.isFinite(timeout) || timeout < 100) {
    throw new Error(`invalid store URL "${text}": timeout is a number of seconds, at least 0.1`)
  }
  const prefix = url.searchParams.get('prefix') ?? 'flocker'
  if (!/^[\w.-]+$/.test(prefix)) {
    throw new Error(`invalid store URL "${text}": prefix takes letters, digits, . _ -`)
  }
  return { kind, url, lease, timeout, prefix }
}

/** A query parameter in seconds, as ms (NaN when it is not a number). */
function seconds(url: URL, key: string, fallback: number): number {
  const text = url.searchParams.get(key)
  return text === null ? fallback : Number(text) * 1000
}
