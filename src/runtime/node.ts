import { nodeCompatAdapter } from './node-compat/adapter.ts'

/**
 * Node: node:http with @hono/node-server's lightweight Request/Response globals. A request handler
 * of the user's own node:http server may take the socket over for attach and exec (the original
 * flocker's handle(req, res)) when the server has no 'upgrade' listener.
 * Downloads go out framed as the engine framed them (raw-download.ts).
 */
export const nodeAdapter = nodeCompatAdapter('node', {
  overrideGlobals: true,
  rawDownloads: true,
  requestHandlersCanHijack: true,
})
