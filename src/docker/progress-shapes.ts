/**
 * Progress streams merged from several hosts name each host in the lines clients only show (`node1:
 * <layer>: Downloading`), but the lines clients read keep one engine's exact shape, once: docker-py's
 * `images.load()` reads `Loaded image: NAME` / `Loaded image ID: sha256:...`, scripts read `Digest:`
 * and `Status:`. `true`: pass this message as it came (when an identical one has not gone by yet).
 */
export function isParsedByClients(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false
  const { id, stream, status, error } = message as Record<string, unknown>
  if (error !== undefined) return false
  if (typeof stream === 'string') return /^Loaded image( ID)?: /.test(stream)
  return id === undefined && typeof status === 'string' &&
    /^(Digest|Status|Loaded image( ID)?): /.test(status)
}
