import { DockerError } from '../docker/errors.ts'
import { type BodyKind, judge, type RuleAllowances } from './body-rules.ts'
import { type Access, accessOf, type Group, groupOf, type RouteLike } from './groups.ts'
import type { Identity } from './identity.ts'

/** What one identity may do: endpoint groups (read or write), rule allowances, tenancy. */
export interface Grant extends RuleAllowances {
  /** `{"containers": "write", "images": "read"}`; a group left out is denied. */
  readonly groups?: Partial<Readonly<Record<Group, Access>>>
  /** Everything, rules included; also sees error details (host addresses, exception text). */
  readonly admin?: boolean
  /** A tenant name: what this identity creates is its own, and it sees nothing else (see tenants.ts). */
  readonly tenant?: string
}

/**
 * The policy: grants by identity name. Without a policy flocker is open to whoever reaches it (the
 * listener's locks decide who that is); once a policy exists, what no grant allows is denied with
 * 403 and a message naming the rule.
 */
export interface Policy {
  readonly identities?: Readonly<Record<string, Grant>>
  /** Callers without an identity (loopback or unix socket, no token, no certificate). */
  readonly anonymous?: Grant
}

/** What the policy is asked about one request. */
export interface PolicyRequest {
  readonly identity: Identity
  readonly route: RouteLike
  readonly query: URLSearchParams
  /** The body as dockerd will read it, when the route's body is judged (create, exec, update...). */
  readonly body?: unknown
}

export class PolicyDenied extends DockerError {
  constructor(readonly rule: string, message: string) {
    super(403, message)
  }
}

/** The grant that applies to an identity; undefined when no policy is configured. */
export function grantFor(policy: Policy | undefined, identity: Identity): Grant | undefined {
  if (!policy) return undefined
  const grant = identity.via === 'anonymous' ? policy.anonymous : policy.identities?.[identity.name]
  return grant ?? {}
}

/** Throws PolicyDenied unless the grant allows the request. */
export function enforce(grant: Grant | undefined, request: PolicyRequest): void {
  if (!grant || grant.admin) return
  const group = groupOf(request.route)
  if (group !== 'ping' && group !== 'version') {
    const access = accessOf(request.route)
    const granted = grant.groups?.[group]
    if (!granted || (access === 'write' && granted !== 'write')) {
      const need = access === 'write' ? `${group} (write)` : group
      throw new PolicyDenied(
        `group:${group}`,
        `flocker: denied by policy: ${request.identity.name} has no grant for ${need} ` +
          `(${request.route.method} ${request.route.path})`,
      )
    }
  }
  const kind = bodyKindOf(request.route)
  if (!kind) return
  const [violation] = judge(kind, request.body, request.query, grant)
  if (violation) {
    throw new PolicyDenied(
      violation.rule,
      `flocker: denied by policy: rule ${violation.rule} (${violation.field}: ${violation.value})`,
    )
  }
}

/** Which routes carry a body (or query) the rules judge. */
export function bodyKindOf(route: RouteLike): BodyKind | undefined {
  if (route.method !== 'POST') return undefined
  switch (route.path) {
    case '/containers/create':
      return 'create'
    case '/containers/{id}/exec':
      return 'exec'
    case '/containers/{id}/update':
      return 'update'
    case '/containers/{id}/start':
      return 'start'
    case '/volumes/create':
      return 'volume-create'
    case '/images/create':
      return 'image-create'
    case '/build':
      return 'build'
  }
  return undefined
}
