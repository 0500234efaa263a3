import { errorText } from '../docker/errors.ts'
import type { Flock, HostSpec } from './flock.ts'

export type ListHook = () => Promise<readonly HostSpec[]> | readonly HostSpec[]

/**
 * The flock's hosts come from two places: the operator's (options, flags, config file: replaced
 * on reload) and the `list` hook (asked at start and every `interval` ms). The flock is their union.
 */
export class Inventory {
  #fixed: readonly HostSpec[]
  #listed: readonly HostSpec[] = []
  #timer: ReturnType<typeof setInterval> | null = null
  /** Why the last `list` call failed ('' when it worked); the previous hosts stay meanwhile. */
  lastListError = ''
  /** Settles once the first `list` answer is in (at once without a hook). */
  readonly ready: Promise<void>

  constructor(
    private readonly flock: Flock,
    fixed: readonly HostSpec[],
    private readonly list: ListHook | undefined,
    private readonly interval: number,
    /** Told when the `list` hook starts failing or fails differently (not at every retry). */
    private readonly reportListError: (message: string) => void = () => {},
  ) {
    this.#fixed = fixed
    this.#apply()
    this.ready = this.refresh()
  }

  /** Replaces the operator's hosts (a config reload); the hook's hosts stay. */
  setFixed(specs: readonly HostSpec[]) {
    this.#fixed = specs
    return this.#apply()
  }

  /** Asks the `list` hook again; a hook that fails keeps the hosts it gave last time. */
  async refresh(): Promise<void> {
    if (!this.list) return
    try {
      this.#listed = [...await this.list()]
      this.#apply()
      this.lastListError = ''
    } catch (error) {
      const message = errorText(error)
      if (message !== this.lastListError) this.reportListError(message)
      this.lastListError = message
    }
  }

  start(): void {
    if (!this.list || this.#timer) return
    this.#timer = setInterval(() => void this.refresh(), this.interval)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  #apply() {
    return this.flock.setHosts([...this.#fixed, ...this.#listed])
  }
}
