import { dial, request } from './node-compat/client.ts'
import { nodePlatform } from './node-compat/platform.ts'
import { serveHttp } from './node-compat/server.ts'
import type { RuntimeAdapter } from './types.ts'

/** Node: node:http with @hono/node-server's lightweight Request/Response globals. */
export const nodeAdapter: RuntimeAdapter = {
  name: 'node',
  serve: (handler, options) => serveHttp(handler, options, { overrideGlobals: true }),
  request,
  dial,
  platform: nodePlatform,
}
