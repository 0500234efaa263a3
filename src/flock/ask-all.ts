import { errorText } from '../docker/errors.ts'
import type { Host } from './host.ts'

export type HostAnswer<T> =
  | { readonly host: Host; readonly ok: true; readonly value: T }
  | { readonly host: Host; readonly ok: false; readonly error: unknown }

/**
 * Asks every host at once and waits at most `timeout` ms: a host that is down or slow never holds
 * up the answer of the others; it comes back as an error (a timeout) instead.
 */
export function askAll<T>(
  hosts: readonly Host[],
  ask: (host: Host, signal: AbortSignal) => Promise<T>,
  timeout: number,
): Promise<HostAnswer<T>[]> {
  return Promise.all(hosts.map(async (host): Promise<HostAnswer<T>> => {
    const signal = AbortSignal.timeout(timeout)
    try {
      const value = await Promise.race([ask(host, signal), aborted(signal, host)])
      return { host, ok: true, value }
    } catch (error) {
      return { host, ok: false, error }
    }
  }))
}

function aborted(signal: AbortSignal, host: Host): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`host ${host.name} did not answer in time`)), {
      once: true,
    })
  })
}

/** `node1 (reason); node2 (reason)` for the hosts that failed, for warnings and messages. */
export function describeFailures(answers: readonly HostAnswer<unknown>[]): string {
  return answers
    .filter((answer) => !answer.ok)
    .map((answer) => `${answer.host.name} (${answer.ok ? '' : errorText(answer.error)})`)
    .join('; ')
}
