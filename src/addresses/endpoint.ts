import type { Endpoint, TlsFiles } from '../runtime/types.ts'

/**
 * Parses a docker address the way dockerd and the docker CLI write them:
 * `tcp://host:port`, `unix:///path`, `https://host:port` (TLS), `http://host:port`, or the original
 * flocker's bare `host:port`. An address with no port gets docker's 2375 (2376 with TLS).
 */
export function parseEndpoint(address: string, tls?: TlsFiles): Endpoint {
  const text = address.trim()
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length)
    if (!path.startsWith('/')) throw new Error(`invalid unix address "${address}": the path must be absolute`)
    return { kind: 'unix', path }
  }
  if (text.startsWith('/')) return { kind: 'unix', path: text }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `tcp://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new Error(`invalid address "${address}"`)
  }
  const scheme = url.protocol.slice(0, -1)
  if (!['tcp', 'http', 'https'].includes(scheme)) {
    throw new Error(
      `invalid address "${address}": unsupported scheme ${scheme} (use tcp://, unix:// or https://)`,
    )
  }
  const useTls = scheme === 'https' || tls !== undefined
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) throw new Error(`invalid address "${address}": no host`)
  const port = url.port ? Number(url.port) : useTls ? 2376 : 2375
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new Error(`invalid address "${address}": a docker host address takes no path`)
  }
  return useTls ? { kind: 'tcp', host, port, tls: tls ?? {} } : { kind: 'tcp', host, port }
}

/** Formats an endpoint back as a docker address (for `docker info`, logs and messages). */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === 'unix') return `unix://${endpoint.path}`
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host
  return `${endpoint.tls ? 'https' : 'tcp'}://${host}:${endpoint.port}`
}
