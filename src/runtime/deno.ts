import { nodeCompatAdapter } from './node-compat/adapter.ts'

/**
 * Deno: Deno.serve never hands an `Upgrade: tcp` request to the handler and Deno.upgradeHttp is
 * gone, so the node:http compatibility server serves here too. An upgrade request's body may come
 * through `req` or the socket (upgrade-body.ts reads both). fetch would gunzip `docker cp`
 * downloads, so hosts are reached with node:http, which passes bytes as they are. A request handler
 * cannot take the socket over (Deno drops the bytes after the Upgrade request).
 */
export const denoAdapter = nodeCompatAdapter('deno', {
  overrideGlobals: false,
  requestHandlersCanHijack: false,
})
