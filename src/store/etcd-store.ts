import { noop } from 'cockatiel'
import { Etcd3, type Lease, type Namespace } from 'etcd3'
import type { SharedStore } from './shared-store.ts'

/**
 * etcd v3 through `etcd3` on npm (gRPC by @grpc/grpc-js; runs unchanged on Node, Bun and Deno).
 * Everything this replica writes hangs on one lease that the client keeps alive; when the replica
 * dies, etcd drops its keys after the lease. A lease lost while etcd was away is granted anew.
 * Claims are transactions on the key's create revision.
 */
export class EtcdStore implements SharedStore {
  readonly label: string
  readonly #client: Etcd3
  readonly #space: Namespace
  readonly #ttl: number
  #lease: Promise<Lease> | undefined

  constructor(url: URL, lease: number, prefix: string, timeout: number) {
    this.label = `etcd://${url.host}`
    this.#ttl = Math.max(2, Math.ceil(lease / 1000))
    this.#client = new Etcd3({
      hosts: `http://${url.host}`,
      dialTimeout: 2_000,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
      // No retries or circuit breaker of the client's own: a failure is reported at once, and
      // Coordination decides what a store that is down means (it probes for its return).
      faultHandling: { host: () => noop, global: noop },
    })
    this.#space = this.#client.namespace(`/${prefix}/`)
  }

  claim(key: string, value: string): Promise<boolean> {
    return this.#withLease(async (lease) => {
      const result = await this.#space.if(`claim/${key}`, 'Create', '==', 0)
        .then(lease.put(`claim/${key}`).value(value))
        .commit()
      return result.succeeded
    })
  }

  async release(key: string, value: string): Promise<void> {
    await this.#space.if(`claim/${key}`, 'Value', '==', value)
      .then(this.#space.delete().key(`claim/${key}`))
      .commit()
  }

  add(set: string, id: string, value: string): Promise<void> {
    return this.#withLease(async (lease) => void await lease.put(`set/${set}/${id}`).value(value))
  }

  async remove(set: string, id: string): Promise<void> {
    await this.#space.delete().key(`set/${set}/${id}`)
  }

  async members(set: string): Promise<string[]> {
    return Object.values(await this.#space.getAll().prefix(`set/${set}/`).strings())
  }

  async ping(): Promise<void> {
    await this.#space.get('ping').string()
  }

  async close(): Promise<void> {
    const lease = await this.#lease?.catch(() => undefined)
    await lease?.revoke().catch(() => {})
    this.#client.close()
  }

  /** Writes under this replica's lease; a lease etcd let expire (a stalled keep-alive) is granted anew once. */
  async #withLease<T>(write: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await this.#currentLease()
    try {
      return await write(lease)
    } catch (error) {
      if (!/lease not found/i.test(String(error))) throw error
      if (this.#lease && (await this.#lease.catch(() => undefined)) === lease) this.#lease = undefined
      return write(await this.#currentLease())
    }
  }

  /** This replica's lease, granted on first use and again after etcd lost it. */
  #currentLease(): Promise<Lease> {
    if (!this.#lease) {
      const lease = this.#space.lease(this.#ttl, { autoKeepAlive: true })
      lease.on('lost', () => {
        if (this.#lease === pending) this.#lease = undefined
      })
      const pending = lease.grant().then(() => lease)
      pending.catch(() => {
        if (this.#lease === pending) this.#lease = undefined
      })
      this.#lease = pending
    }
    return this.#lease
  }
}
