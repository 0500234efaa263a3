/**
 * What a caller who is not an admin may read in an error flocker wrote: no host address (an
 * attacker's map of the flock) and no internal exception text (errno, stack, file paths). The
 * full message goes to the log. Engine answers (404 No such container...) are the engine's and
 * pass unchanged: they name only what the caller asked for.
 */
export interface Redaction {
  /** Host addresses to hide (`127.0.0.1:2375`, `/run/docker.sock`), each with the host's name. */
  readonly hosts: readonly { readonly name: string; readonly address: string }[]
}

const IP_PORT = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b|\[[0-9a-f:.]+\](?::\d{1,5})?/gi
const URLS = /\b(?:tcp|https?|unix|ssh):\/\/\S+/gi
const ERRNO = /\b(?:connect |read |write |getaddrinfo )?E[A-Z]{3,}\b[^,;)]*/g

export function redactMessage(message: string, redaction: Redaction): string {
  let text = message
  for (const host of redaction.hosts) {
    if (host.address) text = text.split(host.address).join(host.name)
  }
  return text.replace(ERRNO, 'unreachable').replace(URLS, '(address)').replace(IP_PORT, '(address)')
}

/** The message a non-admin sees for an unexpected exception (not a DockerError). */
export function internalErrorMessage(requestId?: string): string {
  return requestId
    ? `flocker: internal error (request ${requestId}; the log has the detail)`
    : 'flocker: internal error (the log has the detail)'
}

/** Thrown by user code on purpose (`throw new Error('...')` in a hook): no subclass, no errno code. */
export function isPlainError(error: unknown): boolean {
  return error instanceof Error && Object.getPrototypeOf(error) === Error.prototype && !('code' in error)
}

/** `node2 (connect ECONNREFUSED 10.0.0.2:2375); node3 (unhealthy: ...)` -> `node2 (no answer); node3 (unhealthy)`. */
export function publicMissingHosts(header: string): string {
  // The list may end `; and 480 more hosts` (flock/ask-all.ts joinFailures): kept as it is.
  const more = /; and \d+ more hosts$/.exec(header)?.[0] ?? ''
  return header.slice(0, header.length - more.length).split(/; (?=[^\s;()]+ \()/).map((part) => {
    const open = part.indexOf(' (')
    if (open < 0) return part
    const name = part.slice(0, open)
    return `${name} (${part.slice(open + 2).startsWith('unhealthy') ? 'unhealthy' : 'no answer'})`
  }).join('; ') + more
}
