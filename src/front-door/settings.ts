import * as v from 'valibot'
import { GROUPS } from './groups.ts'
import type { DEFAULT_LIMITS } from './limits.ts'

/**
 * The front door's settings, the same in the config file and in createFlocker's `frontDoor`
 * option. Objects are strict: a misspelt security setting is an error, never silently ignored.
 */
const Access = v.picklist(['read', 'write'])

export const GrantSchema = v.strictObject({
  groups: v.optional(v.strictObject(Object.fromEntries(GROUPS.map((g) => [g, v.optional(Access)])))),
  admin: v.optional(v.boolean()),
  tenant: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'a tenant name: letters, digits, _ . -')),
  ),
  privileged: v.optional(v.boolean()),
  hostNamespaces: v.optional(v.boolean()),
  bindPaths: v.optional(v.array(v.pipe(v.string(), v.startsWith('/', 'an absolute path')))),
  capabilities: v.optional(v.array(v.string())),
  devices: v.optional(v.boolean()),
  unconfined: v.optional(v.boolean()),
  remoteSources: v.optional(v.boolean()),
})

export const PolicySchema = v.strictObject({
  identities: v.optional(v.record(v.string(), GrantSchema)),
  anonymous: v.optional(GrantSchema),
})

export const TokenSchema = v.strictObject({
  identity: v.pipe(v.string(), v.minLength(1)),
  sha256: v.pipe(
    v.string(),
    v.regex(/^sha256:[0-9a-f]{64}$/i, 'sha256: and 64 hex digits (flocker hash-token)'),
  ),
})

const Count = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)))

/** See DEFAULT_LIMITS for what each means and its default. */
export const LimitsSchema = v.strictObject(
  {
    jsonBodyBytes: Count,
    upgradeBodyBytes: Count,
    idleMs: Count,
    connections: Count,
    hijacksPerIdentity: Count,
  } satisfies Record<keyof typeof DEFAULT_LIMITS, unknown>,
)

/** Settings of the listener's door: in the config file at the top level, as dockerd's daemon.json names them. */
export const FrontDoorSchema = v.strictObject({
  tokens: v.optional(v.array(TokenSchema)),
  policy: v.optional(PolicySchema),
  allowedOrigins: v.optional(v.array(v.string())),
  allowedHosts: v.optional(v.array(v.string())),
  limits: v.optional(LimitsSchema),
})
