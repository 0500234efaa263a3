import type { RuntimeAdapter } from '../types.ts'
import { NodeHostClient } from './host-client.ts'
import { nodePlatform } from './platform.ts'
import { nodeRequestListener } from './request-listener.ts'
import { serveHttp, type ServerQuirks } from './server.ts'

/** An adapter built on node:http, node:net and node:tls, which Node, Bun and Deno all provide. */
export function nodeCompatAdapter(name: RuntimeAdapter['name'], quirks: ServerQuirks): RuntimeAdapter {
  return {
    name,
    serve: (handler, options) => serveHttp(handler, options, quirks),
    requestListener: (handler) => nodeRequestListener(handler, quirks),
    connect: (endpoint, options) => new NodeHostClient(endpoint, options, quirks.rawDownloads),
    platform: nodePlatform,
  }
}
