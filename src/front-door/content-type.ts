import { badRequest } from '../docker/errors.ts'

/**
 * dockerd's CheckForJSON: a JSON endpoint with a body must say `application/json` (parameters
 * allowed). That is what stops a browser's "simple" cross-site POST (text/plain, form types), so
 * flocker checks it the same way and never rewrites the client's Content-Type.
 */
export function checkJsonContentType(headers: Headers, hasBody: boolean): void {
  const type = headers.get('content-type')
  if (!type && !hasBody) return
  if (type && mediaType(type) === 'application/json') return
  throw badRequest(`Content-Type specified (${type ?? ''}) must be 'application/json'`)
}

/**
 * Go's Request.ParseForm, which dockerd calls on every request, reads a POST body of type
 * `application/x-www-form-urlencoded` into the form values, ahead of the query string. flocker
 * judges the query alone, so such a body could change `fromSrc`, `name` or a filter behind its
 * back: refused everywhere (no docker client sends it).
 */
export function checkNoFormBody(headers: Headers): void {
  const type = headers.get('content-type')
  if (type && mediaType(type) === 'application/x-www-form-urlencoded') {
    throw badRequest('flocker: form-encoded request bodies are not accepted')
  }
}

/** `Application/JSON; charset=utf-8` -> `application/json`; null when Go's mime.ParseMediaType would fail. */
export function mediaType(value: string): string | null {
  const [type, ...params] = value.split(';')
  const normal = type!.trim().toLowerCase()
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(normal)) return null
  if (params.some((param) => !/^\s*[a-z0-9!#$&^_.+-]+=("[^"]*"|[a-z0-9!#$&^_.+-]*)\s*$/i.test(param))) {
    return null
  }
  return normal
}

/** Whether a request carries a body (a Content-Length other than 0, or chunked). */
export function declaresBody(headers: Headers): boolean {
  const length = headers.get('content-length')
  if (length !== null && length.trim() !== '0') return true
  return headers.has('transfer-encoding')
}

/** The endpoints whose body dockerd decodes as JSON (and checks with CheckForJSON). */
const JSON_ROUTES = new Set([
  'POST /containers/create',
  'POST /containers/{id}/exec',
  'POST /containers/{id}/update',
  'POST /containers/{id}/start',
  'POST /exec/{id}/start',
  'POST /commit',
  'POST /networks/create',
  'POST /networks/{id}/connect',
  'POST /networks/{id}/disconnect',
  'POST /volumes/create',
  'POST /auth',
])

export function isJsonRoute(route: { method: string; path: string }): boolean {
  return JSON_ROUTES.has(`${route.method} ${route.path}`)
}
