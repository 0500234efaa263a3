import { badRequest, notFound } from '../docker/errors.ts'

/**
 * The request target (path and query) judged before any routing. flocker routes with Hono and
 * rebuilds every upstream path from the route table, but dockerd (Go's mux and net/url) reads a
 * path more loosely than the table: `/v1.41.0/`, `%2F` inside a segment, `;`, `..`, `\`. Anything
 * Hono and dockerd could read differently is refused here, so what the table matched is what the
 * engine does. Run on the raw target (before URL parsing normalises it) and on the URL the app sees.
 */
export interface CheckedTarget {
  /** `/v1.41` when the client used a versioned path, else ''. */
  readonly versionPrefix: string
  /** The path below the version prefix, e.g. `/containers/json`. */
  readonly path: string
}

/** Exactly `/vMAJOR.MINOR` followed by `/` or the end. */
const EXACT_VERSION = /^\/v(\d{1,4})\.(\d{1,4})(?=\/|$)/
/** Every form dockerd's `/v{version:[0-9.]+}` route would take as a version. */
const ANY_VERSION = /^\/v[0-9.]+(?=\/|$)/
/** Control characters (NUL included), DEL. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
/**
 * Where a name parameter may hold an encoded `/`: image references (`{name*}`, any segment after
 * the first) and the Swarm-style `host/name` of a container, network or volume (the `{id}` segment).
 */
const NAME_ZONES: Readonly<Record<string, (index: number) => boolean>> = {
  images: (index) => index > 0,
  distribution: (index) => index > 0,
  plugins: (index) => index > 0,
  containers: (index) => index === 1,
  networks: (index) => index === 1,
  volumes: (index) => index === 1,
}

/** Checks a path (below any mount prefix) and its query; throws a Docker-style 400/404 when refused. */
export function checkTarget(path: string, search = ''): CheckedTarget {
  if (!path.startsWith('/')) throw badRequest('flocker: the request path must start with /')
  const exact = EXACT_VERSION.exec(path)
  if (!exact && ANY_VERSION.test(path)) {
    throw badRequest(`flocker: malformed API version in ${JSON.stringify(path.split('/', 2).join('/'))}`)
  }
  const versionPrefix = exact ? exact[0] : ''
  const below = path.slice(versionPrefix.length) || '/'
  checkSegments(below)
  checkQuery(search)
  return { versionPrefix, path: below }
}

function checkSegments(path: string) {
  const segments = path.slice(1).split('/')
  const zone = NAME_ZONES[decodeSegment(segments[0] ?? '')]
  segments.forEach((raw, index) => {
    const last = index === segments.length - 1
    if (raw === '' && !last) throw badRequest('flocker: empty path segment (//)')
    if (raw.includes(';')) throw badRequest('flocker: ";" is not allowed in the path')
    if (raw.includes('\\') || CONTROL.test(raw)) throw badRequest('flocker: invalid character in the path')
    const decoded = decodeSegment(raw)
    if (/[\\;]/.test(decoded) || CONTROL.test(decoded)) {
      throw badRequest('flocker: encoded "\\", ";" or control character in the path')
    }
    // An encoded `/` is only part of a name: image references hold slashes, nothing else does.
    const pieces = decoded.split('/')
    if (pieces.length > 1 && !zone?.(index)) {
      throw badRequest('flocker: encoded "/" is only allowed inside a name (image, host/container)')
    }
    if (pieces.some((piece) => piece === '.' || piece === '..')) {
      throw badRequest('flocker: "." and ".." segments are not allowed in the path')
    }
    if (pieces.length > 1 && pieces.some((piece) => piece === '')) {
      throw badRequest('flocker: empty path segment in an image name')
    }
  })
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw badRequest('flocker: invalid percent-encoding in the path')
  }
}

/**
 * Go's url.ParseQuery refuses `;` and bad escapes (dockerd answers 400); URLSearchParams would
 * read them as text. Refused, so both read the same parameters.
 */
function checkQuery(search: string) {
  const query = search.startsWith('?') ? search.slice(1) : search
  if (!query) return
  if (query.includes(';')) throw badRequest('flocker: invalid query: ";" is not allowed')
  for (const part of query.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '))
    } catch {
      throw badRequest('flocker: invalid percent-encoding in the query')
    }
  }
}

/** A request target in origin form (`/path?query`), split; anything else (`*`, absolute URLs) refused. */
export function splitTarget(target: string): { path: string; search: string } {
  if (!target.startsWith('/')) throw badRequest('flocker: the request target must be a path')
  if (target.includes('#')) throw badRequest('flocker: a request target has no fragment')
  const q = target.indexOf('?')
  return q < 0 ? { path: target, search: '' } : { path: target.slice(0, q), search: target.slice(q) }
}

/** dockerd's answer to a path no route knows. */
export const pageNotFound = () => notFound('page not found')
