import { DockerError, errorResponse, errorText, publicMessageOf } from '../docker/errors.ts'
import { auditLine } from './audit.ts'
import { checkJsonContentType, checkNoFormBody, declaresBody } from './content-type.ts'
import { parseGoJson } from './go-json.ts'
import { type Access, accessOf, type Group, groupOf, type RouteLike } from './groups.ts'
import { checkHostHeader } from './host-header.ts'
import { type AuthHook, type ClientInfo, identify, type Identity } from './identity.ts'
import { checkDeclaredLength, DEFAULT_LIMITS, KeyedCounter, type Limits, readCapped } from './limits.ts'
import { checkOrigin } from './origin.ts'
import { bodyKindOf, enforce, type Grant, grantFor, type Policy, PolicyDenied } from './policy.ts'
import { internalErrorMessage, isPlainError, publicMissingHosts, redactMessage } from './public-errors.ts'
import { type CheckedTarget, checkTarget } from './target.ts'
import { MISSING_HOSTS_HEADER } from '../observe/middleware.ts'
import { type TokenEntry, TokenStore } from './tokens.ts'

/** What the `authorize` hook is shown of every request that reached a route. */
export interface AuthorizeRequest {
  readonly identity: Identity
  readonly route: {
    readonly method: string
    readonly path: string
    readonly group: Group
    readonly access: Access
  }
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** The JSON body as dockerd will read it (create, exec, update, start, network, volume...). */
  readonly body?: unknown
}

/** Return (or resolve) false or a message to refuse with 403; throw to refuse with the error's message. */
export type AuthorizeHook = (
  request: AuthorizeRequest,
) => void | boolean | string | Promise<void | boolean | string>

/** The door's settings, the same in the config file (checked by settings.ts) and in code. */
export interface FrontDoorSettings {
  /** Bearer tokens by SHA-256, each naming an identity; with any, callers must prove who they are. */
  readonly tokens?: readonly TokenEntry[]
  /** Grants per identity; once set, what no grant allows is denied. */
  readonly policy?: Policy
  /** Web origins allowed to call (a dashboard); `*` for any. */
  readonly allowedOrigins?: readonly string[]
  /** Names clients reach flocker by, besides loopback names and the listen addresses; `*` for any. */
  readonly allowedHosts?: readonly string[]
  readonly limits?: Partial<Limits>
}

export interface FrontDoorOptions extends FrontDoorSettings {
  readonly auth?: AuthHook
  readonly authorize?: AuthorizeHook
  /** Hosts of the listen addresses, allowed in Host headers. */
  readonly listenHosts?: readonly string[]
  /** Where audit lines go (one per request); none when absent. */
  readonly audit?: (line: string) => void
  /** Where the detail of errors hidden from callers goes. */
  readonly log?: (line: string) => void
}

/** A route as the door needs to know it. */
export interface DoorRoute extends RouteLike {
  /** Upgrade is honoured only here (attach, exec start, session). */
  readonly hijacked: boolean
  /** The body is JSON, checked like dockerd's CheckForJSON. */
  readonly json: boolean
}

/** One request's passage through the door, from admission to the audit line. */
export interface Passage {
  readonly identity: Identity
  readonly grant: Grant | undefined
  readonly client: ClientInfo
  readonly target: CheckedTarget
  route?: string
  decision: string
  readonly hosts: string[]
  readonly started: number
  /** Frees the identity's hijack slot this request holds, if it holds one. */
  releaseHijack?: () => void
  /** The hijack was handed to the adapter to splice: its end frees the slot. */
  spliced?: boolean
}

/**
 * The front door: every request passes `admit` (before routing: target, browser marks, identity)
 * and, once the table has matched it, `pass` (policy, upgrade rules, content type, body). Pure of
 * any web framework; app.ts calls it from Hono middleware.
 */
export class FrontDoor {
  readonly limits: Limits
  readonly #tokens: TokenStore
  readonly #hijacks: KeyedCounter

  constructor(readonly options: FrontDoorOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.#tokens = new TokenStore(options.tokens ?? [])
    this.#hijacks = new KeyedCounter(this.limits.hijacksPerIdentity)
  }

  /** Whether callers must prove an identity (tokens configured). */
  get requiresIdentity(): boolean {
    return this.#tokens.size > 0
  }

  /** Checks before routing. `path` and `search` are below any mount prefix. */
  async admit(headers: Headers, path: string, search: string, client: ClientInfo): Promise<Passage> {
    const target = checkTarget(path, search)
    checkOrigin(headers, { allowedOrigins: this.options.allowedOrigins ?? [] })
    const identity = await identify(headers, client, {
      tokens: this.#tokens,
      auth: this.options.auth,
      requireIdentity: this.requiresIdentity,
    })
    // DNS rebinding cannot present a certificate or a token: the Host check is for the rest.
    if (identity.via === 'anonymous') {
      checkHostHeader(headers, {
        allowedHosts: this.options.allowedHosts ?? [],
        listenHosts: this.options.listenHosts,
      })
    }
    checkNoFormBody(headers)
    const grant = grantFor(this.options.policy, identity)
    return { identity, grant, client, target, decision: 'allowed', hosts: [], started: Date.now() }
  }

  /**
   * Checks for a matched route. Returns the body to send on when the door had to read it (JSON
   * bodies the rules judge: canonical keys, re-serialised), else undefined (the client's stream).
   */
  async pass(
    passage: Passage,
    route: DoorRoute,
    request: {
      headers: Headers
      body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null
      params: Record<string, string>
      query: URLSearchParams
    },
  ): Promise<Uint8Array | undefined> {
    passage.route = `${route.method} ${route.path}`
    const { headers } = request
    if (headers.has('upgrade')) {
      if (!route.hijacked) {
        throw new DockerError(400, 'flocker: Upgrade is only accepted on attach, exec start and session')
      }
      if (headers.has('transfer-encoding')) {
        throw new DockerError(400, 'flocker: an Upgrade request may not carry a chunked body')
      }
      checkDeclaredLength(headers, this.limits.upgradeBodyBytes)
    }
    const hasBody = declaresBody(headers)
    if (route.json) checkJsonContentType(headers, hasBody)
    // A tenant's bodies are read too: the owner label flocker sets must be the only one dockerd reads.
    const judged = bodyKindOf(route) !== undefined ||
      ((this.options.authorize !== undefined || passage.grant?.tenant !== undefined) && route.json)
    let body: unknown
    let bytes: Uint8Array | undefined
    if (judged && route.json && hasBody) {
      checkDeclaredLength(headers, this.limits.jsonBodyBytes)
      const raw = await readCapped(request.body, this.limits.jsonBodyBytes, this.limits.idleMs)
      const text = new TextDecoder().decode(raw)
      if (text.trim()) {
        body = parseGoJson(text)
        bytes = new TextEncoder().encode(JSON.stringify(body))
      } else bytes = raw
    }
    // Without a grant there is nothing to enforce (and the query need not be parsed).
    if (passage.grant) {
      enforce(passage.grant, { identity: passage.identity, route, query: request.query, body })
    }
    await this.#authorize(passage, route, request, body)
    return bytes
  }

  async #authorize(
    passage: Passage,
    route: DoorRoute,
    request: { params: Record<string, string>; query: URLSearchParams },
    body: unknown,
  ) {
    const hook = this.options.authorize
    if (!hook) return
    let answer: void | boolean | string
    try {
      answer = await hook({
        identity: passage.identity,
        route: { method: route.method, path: route.path, group: groupOf(route), access: accessOf(route) },
        params: request.params,
        query: request.query,
        body,
      })
    } catch (error) {
      throw new PolicyDenied('authorize', `flocker: denied: ${errorText(error)}`)
    }
    if (answer === false) throw new PolicyDenied('authorize', 'flocker: denied by the authorize hook')
    if (typeof answer === 'string') throw new PolicyDenied('authorize', `flocker: denied: ${answer}`)
  }

  /**
   * Takes one of the identity's live hijack slots (attach, exec) for this request, or refuses with
   * 429 when it holds `hijacksPerIdentity` already. Returns the function that frees it.
   */
  holdHijack(passage: Passage): () => void {
    const release = this.#hijacks.acquire(passage.identity.name)
    if (!release) {
      throw new DockerError(
        429,
        `flocker: too many live attach/exec sessions for ${passage.identity.name} ` +
          `(limit ${this.limits.hijacksPerIdentity}); close one and try again`,
      )
    }
    passage.releaseHijack = release
    return release
  }

  /** Live hijacks of an identity now. */
  hijacksOf(identity: string): number {
    return this.#hijacks.count(identity)
  }

  /** Whether the caller reads errors whole (with addresses and exception text). */
  seesWhole(passage: Passage | undefined): boolean {
    // Without a policy every caller may do everything (admin in all but name): errors stay whole, as
    // the original flocker's (a duplicate name names the holder's address).
    return this.options.policy === undefined || passage?.grant?.admin === true
  }

  /** The decision to record for an error thrown at the door. */
  static decisionOf(error: unknown): string {
    if (error instanceof PolicyDenied) return `denied:${error.rule}`
    if (error instanceof DockerError) return `refused:${error.status}`
    return 'error'
  }

  /**
   * The answer to an error thrown while serving a request: an admin reads it whole; anyone else
   * reads it without host addresses or exception text (the log has them).
   */
  errorMessage(
    error: unknown,
    passage: Passage | undefined,
    hosts: readonly { name: string; address: string }[],
  ): { status: number; message: string } {
    const admin = this.seesWhole(passage)
    if (error instanceof DockerError) {
      if (admin) return { status: error.status, message: error.message }
      if (error.publicMessage !== undefined || error.status >= 500) {
        this.options.log?.(`flocker: error (${error.status}): ${error.message}`)
      }
      return { status: error.status, message: redactMessage(error.publicMessage ?? error.message, { hosts }) }
    }
    this.options.log?.(`flocker: error: ${errorText(error)}`)
    const message = `flocker: ${errorText(error)}`
    if (admin) return { status: 500, message }
    // Hooks throw plain errors whose message is meant for the client: shown, without addresses. Anything
    // else (a TypeError, a system error with an errno code) is internal: the log has it.
    return {
      status: 500,
      message: isPlainError(error) ? redactMessage(message, { hosts }) : internalErrorMessage(),
    }
  }

  /**
   * An answer as a caller who is not an admin may read it: an error flocker wrote itself gets its
   * public message, without addresses; the missing-hosts header of a merged view names the hosts
   * without their errors. Engine answers pass unchanged.
   */
  async publicAnswer(
    response: Response,
    passage: Passage | undefined,
    hosts: readonly { name: string; address: string }[],
  ): Promise<Response> {
    if (this.seesWhole(passage)) return response
    const own = response.status >= 400 ? publicMessageOf(response) : undefined
    const missing = response.headers.get(MISSING_HOSTS_HEADER)
    if (own === undefined && missing === null) return response
    const headers = new Headers(response.headers)
    if (missing !== null) headers.set(MISSING_HOSTS_HEADER, publicMissingHosts(missing))
    if (own === undefined) {
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      })
    }
    await response.body?.cancel()
    const message = redactMessage(own, { hosts })
    return errorResponse(response.status, message, headers)
  }

  /** Writes the request's audit line. */
  record(
    passage: Passage | undefined,
    fallback: { route: string; client?: string; decision: string },
    status: number,
  ) {
    const audit = this.options.audit
    if (!audit) return
    audit(auditLine({
      identity: passage?.identity.name ?? 'unknown',
      client: passage?.client.address ?? fallback.client,
      route: passage?.route ?? fallback.route,
      decision: passage?.decision ?? fallback.decision,
      hosts: passage?.hosts,
      status,
      ms: passage ? Date.now() - passage.started : undefined,
    }))
  }
}
