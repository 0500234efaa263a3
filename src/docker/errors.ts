/**
 * Engine-style errors: the same status codes and message shapes as dockerd, so scripts that grep
 * docker's messages keep working through flocker. Every handler throws these; app.ts answers them
 * as `{"message": "..."}`.
 */
export class DockerError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
    this.name = 'DockerError'
  }

  toResponse(): Response {
    return errorResponse(this.status, this.message)
  }
}

export function errorResponse(status: number, message: string, headers?: HeadersInit): Response {
  // Exactly `application/json`: Bun's Response.json adds `;charset=utf-8`, and the docker CLI then
  // prints the raw JSON instead of the message.
  const all = new Headers(headers)
  all.set('content-type', 'application/json')
  return new Response(JSON.stringify({ message }), { status, headers: all })
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

/** A host that could not be reached: the client sees which one and why. */
export function hostUnreachable(host: string, cause: unknown): DockerError {
  return new DockerError(502, `flocker: host ${host} did not answer: ${errorText(cause)}`)
}
