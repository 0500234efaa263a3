import { MemoryStore } from './memory-store.ts'
import { DEFAULT_LEASE, type SharedStore } from './shared-store.ts'

/**
 * The store a `--store URL` names: `redis://HOST:PORT[/DB]` or `etcd://HOST:PORT`, with optional
 * `?lease=SECONDS` (how long what a dead replica held blocks others, default 15) and `?prefix=NAME`
 * (keys of one flock, default `flocker`). The client library loads only when a store is named.
 */
export async function openStore(url: string | undefined): Promise<SharedStore> {
  if (!url) return new MemoryStore()
  const parsed = parseStoreUrl(url)
  if (parsed.kind === 'redis') {
    const { RedisStore } = await import('./redis-store.ts')
    return new RedisStore(parsed.url, parsed.lease, parsed.prefix)
  }
  const { EtcdStore } = await import('./etcd-store.ts')
  return new EtcdStore(parsed.url, parsed.lease, parsed.prefix)
}

export interface StoreUrl {
  readonly kind: 'redis' | 'etcd'
  readonly url: URL
  readonly lease: number
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
  const leaseText = url.searchParams.get('lease')
  const lease = leaseText === null ? DEFAULT_LEASE : Number(leaseText) * 1000
  if (!Number.isFinite(lease) || lease < 1000) {
    throw new Error(`invalid store URL "${text}": lease is a number of seconds, at least 1`)
  }
  const prefix = url.searchParams.get('prefix') ?? 'flocker'
  if (!/^[\w.-]+$/.test(prefix)) {
    throw new Error(`invalid store URL "${text}": prefix takes letters, digits, . _ -`)
  }
  return { kind, url, lease, prefix }
}
