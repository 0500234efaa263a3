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
      const value = await beforeAbort(ask(host, signal), signal, host)
      return { host, ok: true, value }
    } catch (error) {
      return { host, ok: false, error }
    }
  }))
}

/**
 * `work`, or a timeout error once `signal` aborts. The listener goes when `work` settles: left on a
 * timeout's signal, it kept every host's answer reachable until the timer fired (5 s of each live
 * `ps`'s rows).
 */
async function beforeAbort<T>(work: Promise<T>, signal: AbortSignal, host: Host): Promise<T> {
  let onAbort = () => {}
  const cut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`host ${host.name} did not answer in time`))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, cut])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** `node1 (reason); node2 (reason)` for the hosts that failed, for warnings and messages. */
export function describeFailures(answers: readonly HostAnswer<unknown>[]): string {
  return joinFailures(failureParts(answers))
}

/** `node1 (reason)` for each host that failed. */
export function failureParts(answers: readonly HostAnswer<unknown>[]): string[] {
  return answers
    .filter((answer) => !answer.ok)
    .map((answer) => `${answer.host.name} (${answer.ok ? '' : errorText(answer.error)})`)
}

/**
 * The longest list of failures a header or message carries: Node's HTTP clients (dockerode,
 * testcontainers) refuse an answer head over 16 KiB, and 500 hosts timing out would pass that.
 */
const FAILURES_LIMIT = 2048
const REASON_LIMIT = 300

/** Joins `host (reason)` parts with `; `, ending with `; and N more hosts` past FAILURES_LIMIT. */
export function joinFailures(parts: readonly string[]): string {
  let text = ''
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.length > REASON_LIMIT ? `${parts[i]!.slice(0, REASON_LIMIT - 2)}…)` : parts[i]!
    const next = text ? `${text}; ${part}` : part
    if (text && next.length > FAILURES_LIMIT) return `${text}; and ${parts.length - i} more hosts`
    text = next
  }
  return text
}

/**
 * Asks every host at once for something that is usually on one of them (a lookup by name or ID).
 * Waits for every answer, except that once one host has it, the others get `grace` ms more: a
 * frozen host must not hold up finding a container elsewhere. (A frozen host's request is ended by
 * the health checks when nothing is found.) Hosts cut off come back as errors.
 */
export function askUntilFound<T>(
  hosts: readonly Host[],
  ask: (host: Host, signal: AbortSignal) => Promise<T>,
  grace: number,
): Promise<HostAnswer<T>[]> {
  const cutOff = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const found = () => {
    timer ??= setTimeout(() => cutOff.abort(), grace)
  }
  return Promise.all(hosts.map(async (host): Promise<HostAnswer<T>> => {
    try {
      const value = await beforeAbort(ask(host, cutOff.signal), cutOff.signal, host)
      found()
      return { host, ok: true, value }
    } catch (error) {
      return { host, ok: false, error }
    }
  })).finally(() => clearTimeout(timer))
}
