/**
 * Answers whose whole body an upstream client read before handing them on (small answers of known
 * length). Whoever reads such an answer as bytes or text takes them from here, not through the
 * Response's body stream, which on Node means building a second, full Response first.
 */
const wholeBodies = new WeakMap<Response, Uint8Array>()

/** Marks `response` as carrying exactly `body`, unread. */
export function withWholeBody(response: Response, body: Uint8Array): Response {
  wholeBodies.set(response, body)
  return response
}

/** The text of an answer: from its known whole body when there is one, else read from the stream. */
export function textOf(response: Response): Promise<string> {
  const body = wholeBodies.get(response)
  if (!body) return response.text()
  // Read once, like a body stream: a second read of the same answer goes to the stream (and fails).
  wholeBodies.delete(response)
  return Promise.resolve(decoder.decode(body))
}

const decoder = new TextDecoder()

/** Whether an answer carries its whole body as bytes (read by its client, no stream to pull). */
export function hasWholeBody(response: Response): boolean {
  return wholeBodies.has(response)
}
