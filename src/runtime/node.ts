import { nodeCompatAdapter } from './node-compat/adapter.ts'

/** Node: node:http with @hono/node-server's lightweight Request/Response globals. */
export const nodeAdapter = nodeCompatAdapter('node', { overrideGlobals: true })
