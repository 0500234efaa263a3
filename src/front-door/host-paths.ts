/**
 * Host paths of bind mounts, judged after normalising (`/srv/../etc` is `/etc`). Symlinks on the
 * host are not seen from here: allow only directories whose contents the operator controls.
 */
export function normalisePath(path: string): string {
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return `/${out.join('/')}`
}

/** Whether `path` is one of `allowed` or inside one of them. */
export function isUnder(path: string, allowed: readonly string[]): boolean {
  const target = normalisePath(path)
  return allowed.some((root) => {
    const base = normalisePath(root)
    return base === '/' || target === base || target.startsWith(`${base}/`)
  })
}

/** The host side of a `Binds` entry (`/src:/dst:ro`), or null for a named or anonymous volume. */
export function bindSource(entry: string): string | null {
  const parts = entry.split(':')
  if (parts.length < 2) return null
  return parts[0]!.startsWith('/') ? parts[0]! : null
}
