import { unavailable } from '../docker/errors.ts'
import type { StoreAccess } from './shared-store.ts'

/** A container placed on a host whose engine has not answered the create yet. */
export interface InFlightPlacement {
  readonly id: string
  readonly replica: string
  /** The host's name in the flock. */
  readonly host: string
  readonly name?: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  readonly resources: {
    readonly memory: number
    readonly cpus: number
    readonly hostPorts: readonly string[]
  }
}

/** How long a placement waits for another replica's decision before it gives up (ms). */
const LOCK_WAIT = 60_000
const LOCK = 'placement-lock'
const IN_FLIGHT = 'placements'

/**
 * Placement across replicas: each decision sees the placements every other replica made whose
 * create is still on its way to the engine; those that reserve resources are taken one at a time
 * flock-wide (a lock in the store).
 */
export class SharedPlacements {
  /** This replica's decisions that take the lock wait here first, so one at a time asks the store for it. */
  #lockQueue: Promise<unknown> = Promise.resolve()

  constructor(private readonly coordination: StoreAccess) {}

  /** Whether other replicas exist to share with (a store other than this process's memory). */
  get active(): boolean {
    return this.coordination.shared
  }

  /**
   * Runs `decide` with the other replicas' in-flight placements. `lock`: with the flock-wide
   * placement lock held, so no other replica decides meanwhile (for reservations of memory, CPUs or
   * host ports, where two decisions at once could overfill a host; counts for spreading need no
   * lock). `required`: the store must answer (503 when it cannot); otherwise, with the store down,
   * this replica decides alone.
   */
  decide<T>(
    { lock, required }: { lock: boolean; required: boolean },
    decide: (others: InFlightPlacement[]) => Promise<T>,
  ): Promise<T> {
    if (!this.coordination.shared) return decide([])
    if (!lock) return this.#decideSharing(false, required, decide)
    const turn = this.#lockQueue.then(() => this.#decideSharing(true, required, decide))
    this.#lockQueue = turn.catch(() => {})
    return turn
  }

  async #decideSharing<T>(
    lock: boolean,
    required: boolean,
    decide: (others: InFlightPlacement[]) => Promise<T>,
  ): Promise<T> {
    let token: string | undefined
    let others: InFlightPlacement[]
    try {
      if (lock) token = await this.#lock()
      others = await this.#others()
    } catch (error) {
      if (token) await this.#unlock(token)
      if (required) throw error
      return decide([])
    }
    try {
      return await decide(others)
    } finally {
      if (token) await this.#unlock(token)
    }
  }

  /** Frees the lock before the next decision of this replica asks for it; one not freed expires with the lease. */
  async #unlock(token: string): Promise<void> {
    await this.coordination.run((store) => store.release(LOCK, token)).catch(() => {})
  }

  /** Records a placement until its create is answered; returns the call that ends it. */
  async record(entry: Omit<InFlightPlacement, 'id' | 'replica'>, required: boolean): Promise<() => void> {
    if (!this.coordination.shared) return () => {}
    const id = crypto.randomUUID()
    const full: InFlightPlacement = { ...entry, id, replica: this.coordination.replica }
    const remove = () => void this.coordination.run((store) => store.remove(IN_FLIGHT, id)).catch(() => {})
    try {
      await this.coordination.run((store) => store.add(IN_FLIGHT, id, JSON.stringify(full)))
    } catch (error) {
      remove() // it may have landed although its answer was lost
      if (required) throw error
      return () => {}
    }
    return remove
  }

  async #lock(): Promise<string> {
    const token = `${this.coordination.replica} ${crypto.randomUUID()}`
    const deadline = Date.now() + LOCK_WAIT
    for (let delay = 2;; delay = Math.min(delay * 2, 50)) {
      let held
      try {
        held = await this.coordination.run((store) => store.claim(LOCK, token))
      } catch (error) {
        await this.#unlock(token) // a claim whose answer was lost may have landed
        throw error
      }
      if (held) return token
      if (Date.now() > deadline) {
        throw unavailable(`flocker: another replica held the placement lock for over ${LOCK_WAIT / 1000} s`)
      }
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay))
    }
  }

  async #others(): Promise<InFlightPlacement[]> {
    const values = await this.coordination.run((store) => store.members(IN_FLIGHT))
    const out: InFlightPlacement[] = []
    for (const value of values) {
      try {
        const entry = JSON.parse(value) as InFlightPlacement
        if (entry.replica !== this.coordination.replica) out.push(entry)
      } catch {
        // not ours to read: ignored
      }
    }
    return out
  }
}
