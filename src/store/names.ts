import { conflict } from '../docker/errors.ts'
import type { StoreAccess } from './shared-store.ts'

/** Frees a reservation; never fails (a reservation that cannot be freed expires with its lease). */
export type Release = () => Promise<void>

/**
 * Names being created right now, across every replica: a create reserves its name before it asks
 * the engines whether the name is taken, and frees it once the engine has answered, so the check
 * and the create are one step. A name reserved elsewhere is a 409 in the engine's wording.
 */
export interface NameReservations {
  /** Resolves to the call that frees the name; throws 409 (reserved elsewhere) or 503 (store down). */
  reserve(name: string): Promise<Release>
}

export class StoreNames implements NameReservations {
  constructor(private readonly coordination: StoreAccess) {}

  async reserve(name: string): Promise<Release> {
    const key = `name/${name}`
    const token = `${this.coordination.replica} ${crypto.randomUUID()}`
    // The holder may finish between our claim and our read: then claim again (the engines decide next).
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.coordination.run((store) => store.claim(key, token))) {
        return () => this.coordination.run((store) => store.release(key, token)).catch(() => {})
      }
      const holder = await this.coordination.run((store) => store.holder(key))
      if (holder !== undefined) throw inProgress(name, holder.split(' ')[0]!)
    }
    throw inProgress(name, 'another replica')
  }
}

function inProgress(name: string, replica: string): Error {
  return conflict(
    `Conflict. The container name "/${name}" is already in use by a create in progress (flocker ${replica}). ` +
      `You have to remove (or rename) that container to be able to reuse that name.`,
  )
}
