import { splitHostRef } from '../../docker/refs.ts'
import type { Flock } from '../../flock/flock.ts'
import { locateAll, type Located } from '../../flock/locate.ts'

/**
 * Every host's copy of the network a reference names. A network made through flocker has a copy on
 * every host, each with an ID of its own, and the flock lists it once (the first host's copy): an ID
 * (or ID prefix) names the network those copies share, found on the other hosts by its name. A name
 * finds every host's copy by itself; `node2/x` names node2's alone.
 */
export async function networkCopies(flock: Flock, ref: string, tenant?: string): Promise<Located[]> {
  const found = await locateAll(flock, 'network', ref, tenant)
  const qualified = splitHostRef(ref, (name) => flock.byName(name) !== undefined).host !== undefined
  const byId = found.filter((match) => match.body?.Name !== ref)
  if (qualified || !byId.length) return found
  const names = new Set(byId.map((match) => String(match.body?.Name ?? '')))
  // A prefix that matches networks of different names is left as found (the engines' answers decide).
  if (names.size !== 1) return found
  const [name] = names
  const copies = await locateAll(flock, 'network', name!, tenant).catch(() => [] as Located[])
  const hosts = new Map<Located['host'], Located>(found.map((match) => [match.host, match]))
  for (const copy of copies) {
    if (copy.body?.Name === name && !hosts.has(copy.host)) hosts.set(copy.host, copy)
  }
  return [...hosts.values()]
}
