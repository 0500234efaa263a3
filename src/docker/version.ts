/** API version arithmetic: flocker speaks the lowest version all its healthy hosts speak. */

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d) return d
  }
  return 0
}

export function lowestVersion(versions: readonly string[]): string | undefined {
  return versions.filter(Boolean).sort(compareVersions)[0]
}

export function highestVersion(versions: readonly string[]): string | undefined {
  return versions.filter(Boolean).sort(compareVersions).at(-1)
}
