/**
 * Bearer tokens. A docker client sends one with every request through `HttpHeaders` in its
 * config.json (`"Authorization": "Bearer TOKEN"`). The config stores only each token's SHA-256
 * (`sha256:HEX`), so a leaked config file does not leak the tokens; tokens are long random strings,
 * so a plain hash is enough (no password stretching). Digests are compared in constant time.
 */
export interface TokenEntry {
  /** The identity this token stands for: it reaches hooks, policy and every log line. */
  readonly identity: string
  /** `sha256:` and the hex SHA-256 of the token. */
  readonly sha256: string
}

export class TokenStore {
  readonly #entries: { identity: string; digest: Uint8Array }[]

  constructor(entries: readonly TokenEntry[]) {
    this.#entries = entries.map((entry) => ({ identity: entry.identity, digest: parseDigest(entry.sha256) }))
  }

  get size(): number {
    return this.#entries.length
  }

  /** The identity whose token this is, or undefined. Every entry is compared, matched or not. */
  async identify(token: string): Promise<string | undefined> {
    const digest = await sha256(token)
    let found: string | undefined
    for (const entry of this.#entries) {
      if (constantTimeEqual(digest, entry.digest) && found === undefined) found = entry.identity
    }
    return found
  }
}

/** The token of an `Authorization: Bearer TOKEN` header; undefined without one, null when malformed. */
export function bearerToken(headers: Headers): string | null | undefined {
  const value = headers.get('authorization')
  if (value === null) return undefined
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(value)
  return match ? match[1]! : null
}

/** `sha256:HEX` for a token: what goes in the config file (`flocker hash-token` prints it). */
export async function hashToken(token: string): Promise<string> {
  return `sha256:${toHex(await sha256(token))}`
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
}

function parseDigest(text: string): Uint8Array {
  const match = /^sha256:([0-9a-f]{64})$/i.exec(text.trim())
  if (!match) throw new Error(`token hash must be sha256: and 64 hex digits, not ${JSON.stringify(text)}`)
  return Uint8Array.from(match[1]!.match(/../g)!, (byte) => Number.parseInt(byte, 16))
}

/** Equal lengths assumed (both SHA-256): every byte is looked at whatever the first difference. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let difference = 0
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
