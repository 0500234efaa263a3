import { type HostState, isLive, reserved } from './state.ts'

export const STRATEGIES = ['spread', 'binpack', 'random'] as const
export type StrategyName = typeof STRATEGIES[number]

/** Picks one host among candidates that all passed the filters (never empty). */
export type Strategy = (candidates: readonly HostState[]) => HostState

/**
 * How full a host is: the larger of its reserved memory and CPU fractions, then its live
 * containers. Hosts without reservations compare by container count alone.
 */
function load(state: HostState): [number, number] {
  const facts = state.host.facts
  const taken = reserved(state)
  const memory = facts?.memTotal ? taken.memory / facts.memTotal : 0
  const cpu = facts?.ncpu ? taken.cpus / facts.ncpu : 0
  return [Math.max(memory, cpu), state.containers.filter(isLive).length + state.containers.length / 1e4]
}

function compareLoad(a: HostState, b: HostState): number {
  const [ra, ca] = load(a)
  const [rb, cb] = load(b)
  return ra - rb || ca - cb
}

/** Ties keep the inventory order (the first host given wins), so placement is predictable. */
const spread: Strategy = (candidates) => [...candidates].sort(compareLoad)[0]!
const binpack: Strategy = (candidates) => [...candidates].sort((a, b) => compareLoad(b, a))[0]!
const random: Strategy = (candidates) => candidates[Math.floor(Math.random() * candidates.length)]!

export const strategies: Record<StrategyName, Strategy> = { spread, binpack, random }

export function isStrategy(name: string): name is StrategyName {
  return (STRATEGIES as readonly string[]).includes(name)
}
