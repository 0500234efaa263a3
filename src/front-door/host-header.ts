import { DockerError } from '../docker/errors.ts'

/**
 * DNS rebinding: a page on `evil.example` whose name later resolves to 127.0.0.1 talks to flocker
 * as a same-origin page, without Origin. Its requests still carry `Host: evil.example`, so the Host
 * header is checked against the names flocker is known by: loopback names, the docker clients'
 * names for a unix socket (`api.moby.localhost`, `docker`), the listen addresses, and the operator's.
 */
export interface HostRules {
  /** Extra names (`flock.example.com`, `10.0.0.5`), with or without a port; `*` allows any. */
  readonly allowedHosts: readonly string[]
  /** Hosts of the listen addresses (`tcp://10.0.0.5:2376` gives `10.0.0.5`). */
  readonly listenHosts?: readonly string[]
}

export function checkHostHeader(headers: Headers, rules: HostRules): void {
  const host = headers.get('host')
  // HTTP/1.0 clients may send no Host; nothing a browser does.
  if (host === null) return
  if (!isAllowedHost(host, rules)) {
    throw new DockerError(
      403,
      `flocker: Host ${JSON.stringify(host)} is not one of flocker's names; add it with --allowed-host`,
    )
  }
}

export function isAllowedHost(host: string, rules: HostRules): boolean {
  if (rules.allowedHosts.includes('*')) return true
  const name = hostName(host)
  if (name === null) return false
  if (isLoopbackName(name) || name === 'docker') return true
  const known = [...rules.allowedHosts, ...(rules.listenHosts ?? [])]
  return known.some((entry) => entry === host.toLowerCase() || hostName(entry) === name)
}

/** The name part of a Host header (`[::1]:2375` -> `::1`), lower-cased; null when malformed. */
export function hostName(host: string): string | null {
  const text = host.trim().toLowerCase()
  const bracket = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(text)
  if (bracket) return bracket[1]!
  const plain = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(text)
  return plain ? plain[1]! : null
}

/** `localhost`, `*.localhost`, 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/^\[|\]$/g, '')
  if (n === 'localhost' || n.endsWith('.localhost')) return true
  if (n === '::1' || n === '0:0:0:0:0:0:0:1') return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(n)
}
