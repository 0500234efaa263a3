import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { ClientConnection, ServeEnv } from '../types.ts'
import { passableUpload } from './upload-pass-through.ts'

/** What the front door needs to know of a request's connection: address, certificate CN, raw target. */
export function clientOf(req: IncomingMessage): ClientConnection {
  const socket = req.socket as Socket & Partial<TLSSocket>
  const certificate = socket.authorized ? socket.getPeerCertificate?.() : undefined
  const cn = certificate?.subject?.CN
  return {
    address: socket.remoteAddress ?? 'unix',
    port: socket.remotePort,
    certificateName: (Array.isArray(cn) ? cn[0] : cn) || undefined,
    target: req.url,
  }
}

/**
 * What a request served by flocker's own listener carries besides its Request (`served`): the
 * connection, and the body straight off node:http's message, as chunks or as an upload to pipe
 * (a user's server may have read it already: not there).
 */
export function serveEnvOf(req: IncomingMessage, served: Request): ServeEnv {
  let upload: ReadableStream<Uint8Array> | undefined
  return {
    client: clientOf(req),
    bodyChunks: req,
    passableBody: (request) => upload ??= passableUpload(req, served, request),
  }
}
