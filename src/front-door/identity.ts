import { DockerError } from '../docker/errors.ts'
import { bearerToken, type TokenStore } from './tokens.ts'

/** Who is calling. It reaches the `authorize` hook, the policy and every audit line. */
export interface Identity {
  /** A certificate's CN, a token's identity, a hook's answer, or `anonymous`. */
  readonly name: string
  readonly via: 'tls' | 'token' | 'hook' | 'anonymous'
}

/** What the server knows of the connection a request came on. */
export interface ClientInfo {
  /** The peer's address (`127.0.0.1`, `unix`). */
  readonly address?: string
  /** The CN of a verified client certificate (`--tlsverify`). */
  readonly certificateName?: string
}

/**
 * The `auth` hook: a custom identity from the request. Return an identity name, `undefined` to keep
 * the one flocker found (certificate or token), or throw / return `null` to refuse with 401.
 */
export type AuthHook = (request: {
  readonly headers: Headers
  readonly client: ClientInfo
  readonly identity: Identity
}) => string | null | undefined | Promise<string | null | undefined>

export const ANONYMOUS: Identity = { name: 'anonymous', via: 'anonymous' }

export interface IdentityRules {
  readonly tokens?: TokenStore
  readonly auth?: AuthHook
  /** Whether a caller without certificate, token or hook identity is refused (tokens configured). */
  readonly requireIdentity: boolean
}

/** Finds the caller's identity: certificate CN, then bearer token, then the `auth` hook. */
export async function identify(
  headers: Headers,
  client: ClientInfo,
  rules: IdentityRules,
): Promise<Identity> {
  let identity = ANONYMOUS
  if (client.certificateName) identity = { name: client.certificateName, via: 'tls' }
  const token = bearerToken(headers)
  if (token === null) throw unauthorized('flocker: malformed Authorization header (expected Bearer TOKEN)')
  if (token !== undefined && rules.tokens?.size) {
    const name = await rules.tokens.identify(token)
    if (name === undefined) throw unauthorized('flocker: invalid token')
    identity = { name, via: 'token' }
  }
  if (rules.auth) {
    let named: string | null | undefined
    try {
      named = await rules.auth({ headers, client, identity })
    } catch (error) {
      throw error instanceof DockerError ? error : unauthorized('flocker: not authenticated')
    }
    if (named === null) throw unauthorized('flocker: not authenticated')
    if (typeof named === 'string' && named) identity = { name: named, via: 'hook' }
  }
  if (identity === ANONYMOUS && rules.requireIdentity) {
    throw unauthorized('flocker: authentication required: send Authorization: Bearer TOKEN')
  }
  return identity
}

const unauthorized = (message: string) => new DockerError(401, message)
