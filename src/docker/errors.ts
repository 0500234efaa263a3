/**
 * Engine-style errors: the same status codes and message shapes as dockerd, so scripts that grep
 * docker's messages keep working through flocker. Every handler throws these; app.ts answers them
 * as `{"message": "..."}`.
 */
export class DockerError extends Error {
  /**
   * `publicMessage` is what a caller who is not an admin reads, when `message` holds what only the
   * operator should (a host's address, errno text): the front door picks one.
   */
  constructor(readonly status: number, message: string, readonly publicMessage?: string) {
    super(message)
    this.name = 'DockerError'
  }

  toResponse(): Response {
    return errorResponse(this.status, this.message, undefined, this.publicMessage)
  }
}

/** Error answers flocker wrote itself (not an engine's), with the message a non-admin may read. */
const ownAnswers = new WeakMap<Response, string>()

export function errorResponse(
  status: number,
  message: string,
  headers?: HeadersInit,
  publicMessage: string = message,
): Response {
  // Exactly `application/json`: Bun's Response.json adds `;charset=utf-8`, and the docker CLI then
  // prints the raw JSON instead of the message.
  const all = new Headers(headers)
  all.set('content-type', 'application/json')
  const response = new Response(JSON.stringify({ message }), { status, headers: all })
  ownAnswers.set(response, publicMessage)
  return response
}

/** The public message of an error answer flocker wrote (undefined for an engine's answer). */
export function publicMessageOf(response: Response): string | undefined {
  return ownAnswers.get(response)
}

export const badRequest = (message: string) => new DockerError(400, message)
export const notFound = (message: string) => new DockerError(404, message)
export const conflict = (message: string) => new DockerError(409, message)
export const serverError = (message: string) => new DockerError(500, message)
export const notImplemented = (message: string) => new DockerError(501, message)
export const unavailable = (message: string) => new DockerError(503, message)

export const noSuchContainer = (ref: string) => notFound(`No such container: ${ref}`)
export const noSuchExec = (ref: string) => notFound(`No such exec instance: ${ref}`)
export const noSuchImage = (ref: string) => notFound(`No such image: ${ref}`)
export const noSuchNetwork = (ref: string) => notFound(`network ${ref} not found`)
export const noSuchVolume = (ref: string) => notFound(`get ${ref}: no such volume`)

/** The message of anything thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A host that could not be reached: the client sees which one, and an admin also why. */
export function hostUnreachable(host: string, cause: unknown): DockerError {
  const message = `flocker: host ${host} did not answer`
  return new DockerError(502, `${message}: ${errorText(cause)}`, message)
}
