import { DockerError, notFound } from '../docker/errors.ts'
import { fillPath } from '../docker/path.ts'
import { ownedBy, TENANT_LABEL } from '../front-door/tenants.ts'
import type { Host } from './host.ts'
import { type Candidate, matchRef } from './owned-match.ts'

export type OwnedKind = 'container' | 'exec' | 'network' | 'volume'

export interface OwnedMatch {
  readonly id: string
  readonly exact: boolean
  /** The object's inspect (container, exec) or list entry (network, volume). */
  readonly body: Record<string, unknown>
}

type Json = Record<string, unknown>

/** `{"label":["flocker.tenant=T"]}`: the engine's own filter for a tenant's objects. */
export function tenantFilter(tenant: string): string {
  return JSON.stringify({ label: [`${TENANT_LABEL}=${tenant}`] })
}

/**
 * The tenant's objects on one host that a reference names. The engine is asked only for the
 * tenant's own objects (by its label), never to resolve the reference itself: another tenant's
 * object by ID, prefix or name is not found, exactly as if it did not exist. Throws 404 when
 * nothing matches, as an engine would.
 */
export async function ownedOn(
  host: Host,
  kind: OwnedKind,
  ref: string,
  tenant: string,
  signal: AbortSignal,
): Promise<OwnedMatch[]> {
  const found = await finders[kind](host, ref, tenant, signal)
  if (!found.length) throw notFound(`flocker: not found on ${host.name}`)
  return found
}

type Finder = (host: Host, ref: string, tenant: string, signal: AbortSignal) => Promise<OwnedMatch[]>

const finders: Record<OwnedKind, Finder> = {
  async container(host, ref, tenant, signal) {
    const rows = await host.json<Json[]>(
      `/containers/json?all=1&filters=${encodeURIComponent(tenantFilter(tenant))}`,
      { signal },
    )
    const candidates = rows.map((row): Candidate => ({
      id: String(row.Id),
      names: Array.isArray(row.Names) ? row.Names.map(String) : [],
    }))
    const matches = matchRef(candidates, ref)
    const inspected = await Promise.all(matches.map(async (match) => {
      const body = await inspectContainer(host, match.id, signal)
      return body && ownedBy(labelsOf(body), tenant) ? [{ ...match, body }] : []
    }))
    return inspected.flat()
  },
  async exec(host, ref, tenant, signal) {
    // Exec IDs are only ever looked up whole (dockerd has no prefix or name for them); the exec is
    // the tenant's when its container is.
    let body: Json
    try {
      body = await host.json<Json>(fillPath('/exec/{id}/json', { id: ref }), { signal })
    } catch (error) {
      if (isMissing(error)) return []
      throw error
    }
    const container = await inspectContainer(host, String(body.ContainerID ?? ''), signal)
    if (!container || !ownedBy(labelsOf(container), tenant)) return []
    return [{ id: String(body.ID), exact: true, body }]
  },
  async network(host, ref, tenant, signal) {
    const rows = await host.json<Json[]>(
      `/networks?filters=${encodeURIComponent(tenantFilter(tenant))}`,
      { signal },
    )
    return matchListed(rows.filter((row) => ownedBy(row.Labels, tenant)), ref, 'Id', true)
  },
  async volume(host, ref, tenant, signal) {
    const list = await host.json<{ Volumes?: Json[] | null }>(
      `/volumes?filters=${encodeURIComponent(tenantFilter(tenant))}`,
      { signal },
    )
    const rows = (list.Volumes ?? []).filter((row) => ownedBy(row.Labels, tenant))
    return matchListed(rows, ref, 'Name', false)
  },
}

function matchListed(rows: Json[], ref: string, idKey: string, withIdPrefix: boolean): OwnedMatch[] {
  const candidates = rows.map((row): Candidate => ({ id: String(row[idKey]), names: [String(row.Name)] }))
  return matchRef(candidates, ref, withIdPrefix).map((match) => ({
    ...match,
    body: rows.find((row) => String(row[idKey]) === match.id)!,
  }))
}

async function inspectContainer(host: Host, id: string, signal: AbortSignal): Promise<Json | undefined> {
  if (!id) return undefined
  try {
    return await host.json<Json>(fillPath('/containers/{id}/json', { id }), { signal })
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

const isMissing = (error: unknown) => error instanceof DockerError && error.status === 404

function labelsOf(container: Json): unknown {
  const config = container.Config as Json | undefined
  return config?.Labels
}
