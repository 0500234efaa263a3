import type { TlsFiles } from '../runtime/types.ts'

/** A host as the operator describes it (flag, env, config file or the `list` hook). */
export interface HostSpec {
  /** Unique in the flock; defaults to the address. */
  readonly name?: string
  /** `tcp://host:port`, `unix:///path`, `https://host:port`, or `host:port`. */
  readonly url: string
  readonly labels?: Readonly<Record<string, string>>
  /** PEM contents for TLS (read a DOCKER_CERT_PATH-style directory with readTlsDirectory). */
  readonly tls?: TlsFiles
}

/** A host in the original flocker's shape: `{ hostname: 'node1', docker: '127.0.0.1:2375' }`. */
export interface LegacyHostSpec {
  readonly hostname: string
  readonly docker: string
  readonly labels?: Readonly<Record<string, string>>
}

/** A host as `NAME=URL`, a bare URL, a HostSpec, or the original flocker's shape. */
export type HostInput = string | HostSpec | LegacyHostSpec

/**
 * Normalises every accepted host shape to a HostSpec: the one parser of `NAME=URL` (flags, env,
 * config file, options and the `list` hook all come through here).
 */
export function toHostSpec(input: HostInput): HostSpec {
  if (typeof input === 'string') {
    const eq = input.indexOf('=')
    const schemeAt = input.indexOf('://')
    if (eq > 0 && (schemeAt < 0 || eq < schemeAt)) {
      return { name: input.slice(0, eq), url: input.slice(eq + 1) }
    }
    return { url: input }
  }
  if ('docker' in input) return { name: input.hostname, url: input.docker, labels: input.labels }
  return input
}
