import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import type { BodyCounter } from '../pass-through.ts'
import { fanOut } from './fan-out.ts'
import { passableBody, pipeCounted } from './pass-through-answer.ts'

/**
 * A client's upload (load, `cp` in, build) as a web stream the host transport may take whole and pipe
 * from node:http's own message into the host request(s), with no web stream per chunk; a load to every
 * host is split into copies of that message (fan-out.ts). Undefined when something reads the message
 * already (@hono/node-server's Request body, the front door), or `request` is not the one the server made
 * (a middleware gave the app another body): then the Request's body is the one to send.
 */
export function passableUpload(
  incoming: IncomingMessage,
  served: Request,
  request: Request,
): ReadableStream<Uint8Array> | undefined {
  if (request !== served || request.bodyUsed) return undefined
  if (incoming.readableFlowing !== null || incoming.readableDidRead) return undefined
  return passableBody(incoming, splitUpload)
}

function splitUpload(source: object, count: number): ReadableStream<Uint8Array>[] {
  return fanOut(source as Readable, count).map((copy) => passableBody(copy))
}

/**
 * Pipes an upload into a host request with node's backpressure: a client that leaves destroys the host
 * request, a host request that fails destroys the upload (the client's connection is cut, as when a web
 * reader cancels it), and its copy alone when it is one host's copy.
 */
export function sendUpload(
  source: Readable,
  target: ClientRequest,
  counted: BodyCounter | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    pipeCounted(source, target, counted, (error) => error ? reject(error) : resolve())
  })
}
