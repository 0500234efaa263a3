import type { ServerResponse } from 'node:http'
import { headBeforeBodyError } from './head-first.ts'
import { answerKnownBytes } from './known-bytes-answer.ts'
import { answerPassThrough } from './pass-through-answer.ts'

/**
 * How an app's Response reaches node:http's ServerResponse when the runtime's own Response class is
 * in use (Bun, Deno, and a user's own Node server): known bytes in one write, a host's untouched
 * body piped, anything else by @hono/node-server with its head before any body error. What comes
 * back is for @hono/node-server (the already-sent mark when the answer is out).
 */
export function answerOnNodeHttp(response: Response, outgoing: ServerResponse): Response {
  return answerKnownBytes(response, outgoing) ??
    headBeforeBodyError(answerPassThrough(response, outgoing), outgoing)
}
