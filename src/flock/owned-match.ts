/**
 * Which of a tenant's own objects a reference names, in dockerd's order: a full ID, else an exact
 * name, else every ID that starts with it. Only the tenant's objects are ever searched, so another
 * tenant's object can neither match nor make a prefix ambiguous.
 */
export interface Candidate {
  readonly id: string
  /** Names as the engine lists them (`/web` for containers, `web` for networks and volumes). */
  readonly names: readonly string[]
}

export interface Match {
  readonly id: string
  /** A full ID or a name, rather than an ID prefix. */
  readonly exact: boolean
}

export function matchRef(candidates: readonly Candidate[], ref: string, withIdPrefix = true): Match[] {
  if (!ref) return []
  const byId = candidates.find((candidate) => candidate.id === ref)
  if (byId) return [{ id: byId.id, exact: true }]
  const byName = candidates.find((candidate) =>
    candidate.names.some((name) => name === ref || name === `/${ref}`)
  )
  if (byName) return [{ id: byName.id, exact: true }]
  if (!withIdPrefix) return []
  return candidates.filter((candidate) => candidate.id.startsWith(ref)).map(({ id }) => ({
    id,
    exact: false,
  }))
}
