import { DockerError } from '../docker/errors.ts'

/**
 * Browsers kept out. A web page can send "simple" requests to any address, loopback included; the
 * browser marks them with `Origin` (every cross-origin POST) and `Sec-Fetch-Site`. Docker clients
 * send neither. A request carrying an origin that is not allowed, or marked `cross-site` /
 * `same-site`, is refused before anything else reads it.
 */
export interface OriginRules {
  /** Origins allowed to call (e.g. `https://portainer.example`); `*` allows any. */
  readonly allowedOrigins: readonly string[]
}

export function checkOrigin(headers: Headers, rules: OriginRules): void {
  const origin = headers.get('origin')
  const site = headers.get('sec-fetch-site')?.trim().toLowerCase()
  const allowed = origin !== null && isAllowedOrigin(origin, rules.allowedOrigins)
  if (origin !== null && !allowed) {
    throw forbidden(`flocker: requests from web pages are refused (Origin ${JSON.stringify(origin)})`)
  }
  if ((site === 'cross-site' || site === 'same-site') && !allowed) {
    throw forbidden(`flocker: requests from web pages are refused (Sec-Fetch-Site: ${site})`)
  }
}

function isAllowedOrigin(origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true
  const normal = normaliseOrigin(origin)
  return normal !== null && allowed.some((entry) => normaliseOrigin(entry) === normal)
}

/** `scheme://host[:port]` in URL's canonical form; null for `null` and anything that is not an origin. */
function normaliseOrigin(text: string): string | null {
  try {
    const url = new URL(text)
    return url.origin === 'null' ? null : url.origin
  } catch {
    return null
  }
}

const forbidden = (message: string) => new DockerError(403, message)
