import { nodeCompatAdapter } from './node-compat/adapter.ts'

/**
 * Deno: Deno.serve never hands an `Upgrade: tcp` request to the handler and Deno.upgradeHttp is
 * gone, so the node:http compatibility server serves here too. An upgrade request's body may come
 * through `req` or the socket (upgrade-body.ts reads both). fetch would gunzip `docker cp`
 * downloads, so hosts are reached with node:http, which passes bytes as they are. A request handler
 * cannot take the socket over (Deno drops the bytes after the Upgrade request). On a TLS listener
 * (node:tls handing connections to node:http) Deno reset now and then the second request of a
 * kept-alive connection (docker run's create after its ping): each TLS answer closes the connection.
 * Deno reads sockets into buffers V8 did not allocate and so never scavenges for: see scavenge-nudge.ts.
 * Its ServerResponse, like Node's, writes bytes as given after `chunkedEncoding = false`: downloads go
 * out framed as the engine framed them (raw-download.ts).
 */
export const denoAdapter = nodeCompatAdapter('deno', {
  overrideGlobals: false,
  rawDownloads: true,
  requestHandlersCanHijack: false,
  tlsKeepAlive: false,
  readBuffersOutsideV8: true,
})
