import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** `sha256:HEX` of a token, as the config file holds it. */
export const tokenHash = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`

/**
 * Writes `DIR/flocker.json` (the tokens, the grants per identity, and any other settings) and, per
 * identity, `DIR/cli-NAME/config.json` sending its token (use it as DOCKER_CONFIG).
 */
export function writeTokenConfig(
  dir: string,
  tokens: Readonly<Record<string, string>>,
  identities: Readonly<Record<string, unknown>>,
  settings: Readonly<Record<string, unknown>> = {},
): void {
  writeFileSync(
    join(dir, 'flocker.json'),
    JSON.stringify({
      ...settings,
      tokens: Object.entries(tokens).map(([identity, token]) => ({ identity, sha256: tokenHash(token) })),
      policy: { identities },
    }),
  )
  for (const [name, token] of Object.entries(tokens)) {
    mkdirSync(join(dir, `cli-${name}`))
    writeFileSync(
      join(dir, `cli-${name}`, 'config.json'),
      JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }),
    )
  }
}

/** An API call with a bearer token; the answer's status, text and JSON (undefined when not JSON). */
export async function apiWithToken(
  port: number,
  token: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const response = await fetch(`http://127.0.0.1:${port}/v1.41${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, text, json: json as Record<string, unknown> }
}
