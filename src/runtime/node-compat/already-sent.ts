import { lightweightResponses } from '../known-bytes.ts'

/** @hono/node-server's mark for an answer the fetch handler wrote itself (its X_ALREADY_SENT). */
const ALREADY_SENT = 'x-hono-already-sent'
let alreadySent: Response | undefined

/**
 * The mark, a Response of the runtime's own class. @hono/node-server honours it only on such a
 * Response (its lightweight one, Node's global, answers through its cache first): the lightweight
 * Response's clone is the full one it wraps.
 */
export function alreadySentMark(): Response {
  if (alreadySent) return alreadySent
  const made = new Response(null, { headers: { [ALREADY_SENT]: 'true' } })
  return alreadySent = lightweightResponses() ? made.clone() : made
}
