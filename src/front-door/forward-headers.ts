/**
 * The request headers that go on to an engine: only those the Engine API reads. A client's
 * `Authorization` (its flocker token), `Proxy-Authorization`, cookies, hop-by-hop headers and the
 * headers a `Connection` header names stay with flocker; `X-Forwarded-For` is flocker's own.
 * Upgrade/Connection for hijacked requests are written by the hijack handshake, not copied.
 */
const FORWARDED = new Set([
  'accept',
  // docker cp asks for gzip; the engine's bytes pass undecoded.
  'accept-encoding',
  'content-type',
  'content-length',
  'transfer-encoding',
  'user-agent',
  'x-registry-auth',
  'x-registry-config',
])

/** How the body is framed: the engine needs them whatever `Connection` names. */
const FRAMING = new Set(['content-length', 'transfer-encoding'])

/** Protocols a hijacked request may switch to: attach and exec (`tcp`), BuildKit's session (`h2c`). */
const UPGRADES = new Set(['tcp', 'h2c'])

export function forwardHeaders(headers: Headers, clientAddress?: string, hijack = false): Headers {
  const named = new Set(
    (headers.get('connection') ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean),
  )
  const out = new Headers()
  // Asked by name rather than iterated: a server's lightweight request headers answer `get` from the
  // parsed head, while iterating builds a whole Headers object first.
  for (const name of FORWARDED) {
    if (!FRAMING.has(name) && named.has(name)) continue
    const value = headers.get(name)
    if (value !== null) out.set(name, value)
  }
  if (clientAddress) out.set('x-forwarded-for', clientAddress)
  const upgrade = headers.get('upgrade')?.trim().toLowerCase()
  if (hijack && upgrade && UPGRADES.has(upgrade)) {
    out.set('connection', 'Upgrade')
    out.set('upgrade', upgrade)
  }
  return out
}

export function isForwardedHeader(name: string): boolean {
  return FORWARDED.has(name.toLowerCase())
}
