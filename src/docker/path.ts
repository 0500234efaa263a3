import { badRequest } from './errors.ts'

/**
 * Filling a path template (`/containers/{id}/json`, `/images/{name*}/push`) with values: the one
 * place that does it, for every path flocker sends upstream. Every value is percent-encoded, so a
 * client's `..`, `?` or `#` cannot turn into another endpoint on the engine; `{name*}` keeps its
 * slashes (image names have them) but each of its segments is encoded the same way.
 */
export function fillPath(template: string, params: Readonly<Record<string, string | undefined>>): string {
  return template.replace(/\{(\w+)(\*?)\}/g, (_, name: string, greedy: string) => {
    const value = params[name] ?? ''
    return greedy ? value.split('/').map(encodeSegment).join('/') : encodeSegment(value)
  })
}

/**
 * One path segment: `:` and `@` may stay (RFC 3986 pchar; image refs read better). A dot segment is
 * refused: URL parsers resolve it (even encoded as `%2E%2E`) into another path.
 */
function encodeSegment(value: string): string {
  if (value === '.' || value === '..') throw badRequest(`flocker: "${value}" is not a valid reference`)
  return encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%40/g, '@')
}
