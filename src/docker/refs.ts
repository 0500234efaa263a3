/**
 * Container references across the flock. Besides an engine's own forms (full ID, short ID, unique
 * prefix, name), a container can be named with its host: `name@host` (the original flocker's form)
 * or `host/name` (Swarm classic's).
 */
export interface QualifiedRef {
  /** The reference an engine understands (ID, prefix or name). */
  readonly ref: string
  /** The host it names, when the reference carries one. */
  readonly host?: string
}

/** Splits `name@host` and `host/name` when `isHost` knows the host part; else the ref stands as is. */
export function splitHostRef(ref: string, isHost: (name: string) => boolean): QualifiedRef {
  const clean = ref.replace(/^\//, '')
  const at = clean.lastIndexOf('@')
  if (at > 0 && isHost(clean.slice(at + 1))) return { ref: clean.slice(0, at), host: clean.slice(at + 1) }
  const slash = clean.indexOf('/')
  if (slash > 0 && isHost(clean.slice(0, slash))) {
    return { ref: clean.slice(slash + 1), host: clean.slice(0, slash) }
  }
  return { ref: clean }
}

/** How container names show: as the engine has them, `name@host`, or `host/name`. */
export const NAME_STYLES = ['plain', 'at', 'slash'] as const
export type NameStyle = typeof NAME_STYLES[number]

export function isNameStyle(name: string): name is NameStyle {
  return (NAME_STYLES as readonly string[]).includes(name)
}

/** An engine name (`/web`) as flocker shows it in the chosen style. */
export function displayName(engineName: string, host: string, style: NameStyle): string {
  const bare = engineName.replace(/^\//, '')
  if (style === 'at') return `/${bare}@${host}`
  if (style === 'slash') return `/${host}/${bare}`
  return engineName
}
