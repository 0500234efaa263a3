import * as net from 'node:net'
import type * as tls from 'node:tls'
import type { Endpoint } from '../types.ts'

/** node:tls options for an endpoint's certificates (none for a plain endpoint). */
export function tlsOptions(endpoint: Endpoint): tls.ConnectionOptions {
  const files = endpoint.tls
  if (!files) return {}
  return {
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    rejectUnauthorized: !files.insecure,
    servername: endpoint.kind === 'tcp' && !net.isIP(endpoint.host) ? endpoint.host : undefined,
  }
}
