import type { SharedStore } from './shared-store.ts'

/**
 * The store of a flocker without `--store`: one replica, so its own memory is the whole truth.
 * Nothing expires: what the process held dies with it.
 */
export class MemoryStore implements SharedStore {
  readonly label = 'memory'
  readonly #claims = new Map<string, string>()
  readonly #sets = new Map<string, Map<string, string>>()

  claim(key: string, value: string): Promise<boolean> {
    if (this.#claims.has(key)) return Promise.resolve(false)
    this.#claims.set(key, value)
    return Promise.resolve(true)
  }

  release(key: string, value: string): Promise<void> {
    if (this.#claims.get(key) === value) this.#claims.delete(key)
    return Promise.resolve()
  }

  add(set: string, id: string, value: string): Promise<void> {
    let entries = this.#sets.get(set)
    if (!entries) this.#sets.set(set, entries = new Map())
    entries.set(id, value)
    return Promise.resolve()
  }

  remove(set: string, id: string): Promise<void> {
    this.#sets.get(set)?.delete(id)
    return Promise.resolve()
  }

  members(set: string): Promise<string[]> {
    return Promise.resolve([...this.#sets.get(set)?.values() ?? []])
  }

  ping(): Promise<void> {
    return Promise.resolve()
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
