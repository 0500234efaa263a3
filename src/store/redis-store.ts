import { createClient } from 'redis'
import { HeldKeys, type SharedStore } from './shared-store.ts'

/** Frees a claim only if it still holds our value. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`
/** The live values of a set (KEYS[1]: its index; ARGV[1]: its entries' key prefix), dropping expired ids. */
const MEMBERS = `local values = {}
for _, id in ipairs(redis.call('smembers', KEYS[1])) do
  local value = redis.call('get', ARGV[1] .. id)
  if value then table.insert(values, value) else redis.call('srem', KEYS[1], id) end
end
return values`
/** Extends every key (ARGV[2..]) that still holds our value, by the lease (ARGV[1] ms). */
const RENEW = `for i, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[i + 1] then redis.call('pexpire', key, ARGV[1]) end
end
return 0`

/**
 * Redis through node-redis (`redis` on npm, kept by Redis itself; runs unchanged on Node, Bun and
 * Deno). Claims are `SET NX PX`; set entries are keys with an index set. Commands fail at once
 * while the connection is down (no offline queue), and the client reconnects by itself.
 */
export class RedisStore implements SharedStore {
  readonly label: string
  readonly #client
  readonly #lease: number
  readonly #prefix: string
  readonly #held: HeldKeys
  #waiting: Promise<void> | undefined
  #connectionError = 'not connected yet'

  constructor(url: URL, lease: number, prefix: string) {
    const target = new URL(url)
    target.search = ''
    const shown = new URL(target)
    shown.password = ''
    this.label = shown.href
    this.#lease = lease
    this.#prefix = `${prefix}:`
    this.#client = createClient({
      url: target.href,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000),
      },
    })
    // Reported by the failing commands; the client reconnects by itself.
    this.#client.on('error', (error: Error) => (this.#connectionError = error.message || String(error)))
    this.#client.connect().catch(() => {})
    this.#held = new HeldKeys(lease, (held) => this.#renew(held))
  }

  async claim(key: string, value: string): Promise<boolean> {
    await this.#connected()
    const full = this.#key('claim', key)
    const ok = await this.#client.set(full, value, {
      condition: 'NX',
      expiration: { type: 'PX', value: this.#lease },
    })
    if (ok) this.#held.hold(full, value)
    return ok === 'OK'
  }

  async release(key: string, value: string): Promise<void> {
    await this.#connected()
    const full = this.#key('claim', key)
    this.#held.drop(full)
    await this.#client.eval(RELEASE, { keys: [full], arguments: [value] })
  }

  async add(set: string, id: string, value: string): Promise<void> {
    await this.#connected()
    const full = this.#key(`set:${set}`, id)
    this.#held.hold(full, value)
    await this.#client.multi()
      .set(full, value, { expiration: { type: 'PX', value: this.#lease } })
      .sAdd(this.#key('index', set), id)
      .exec()
  }

  async remove(set: string, id: string): Promise<void> {
    await this.#connected()
    const full = this.#key(`set:${set}`, id)
    this.#held.drop(full)
    await this.#client.multi().del(full).sRem(this.#key('index', set), id).exec()
  }

  async members(set: string): Promise<string[]> {
    await this.#connected()
    // One round trip: a busy replica may get few turns of its event loop.
    const values = await this.#client.eval(MEMBERS, {
      keys: [this.#key('index', set)],
      arguments: [this.#key(`set:${set}`, '')],
    })
    return (values as unknown[]).map(String)
  }

  async ping(): Promise<void> {
    await this.#connected()
    await this.#client.ping()
  }

  async close(): Promise<void> {
    this.#held.stop()
    await this.#client.close().catch(() => {})
  }

  /**
   * Waits (a second at most) for a connection that is being made: commands are not queued while
   * there is none, so the first ones after a start or a reconnect would fail for nothing.
   */
  async #connected(): Promise<void> {
    if (this.#client.isReady) return
    this.#waiting ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#client.off('ready', done)
        this.#waiting = undefined
        resolve()
      }
      const timer = setTimeout(done, 1_000)
      this.#client.on('ready', done)
    })
    await this.#waiting
    if (!this.#client.isReady) throw new Error(`cannot connect: ${this.#connectionError}`)
  }

  #renew(held: ReadonlyMap<string, string>): Promise<unknown> {
    return this.#client.eval(RENEW, {
      keys: [...held.keys()],
      arguments: [String(this.#lease), ...held.values()],
    })
  }

  #key(kind: string, key: string): string {
    return `${this.#prefix}${kind}:${key}`
  }
}
