import { dial, request } from './node-compat/client.ts'
import { nodePlatform } from './node-compat/platform.ts'
import { serveHttp } from './node-compat/server.ts'
import type { RuntimeAdapter } from './types.ts'

/**
 * Bun: Bun.serve cannot hijack a connection (WebSocket only) and holds a response head back until
 * the first body byte, which stalls `docker run` (it waits for /wait's head before /start). Bun's
 * node:http does hijack through the 'upgrade' event, and its node:net half-closes with end().
 * Bun keeps its own native Request/Response.
 */
export const bunAdapter: RuntimeAdapter = {
  name: 'bun',
  serve: (handler, options) => serveHttp(handler, options, { overrideGlobals: false }),
  request,
  dial,
  platform: nodePlatform,
}
