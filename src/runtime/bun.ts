import { nodeCompatAdapter } from './node-compat/adapter.ts'

/**
 * Bun: Bun.serve cannot hijack a connection (WebSocket only) and holds a response head back until
 * the first body byte, which stalls `docker run` (it waits for /wait's head before /start). Bun's
 * node:http does hijack through the 'upgrade' event, and its node:net half-closes with end().
 * Bun keeps its own native Request/Response. A request handler cannot take the socket over: Bun
 * answers the bytes after the Upgrade request with a 400. Its node:http client did not emit
 * 'upgrade' on a 101, which is why the hijack handshake is written by hand (upgrade-client.ts).
 * Its ServerResponse frames every write itself (it ignores `chunkedEncoding = false`): downloads go on
 * a connection of their own as on Node and Deno, but out decoded (RawDownload.writeDecoded): a fast
 * engine's large chunks as they were read, without a copy, and a read's small ones (a real engine's
 * logs: a chunk per line) in one write, not one per engine chunk as node:http's client gave them.
 * req.socket.write would take the engine's framing as it is, but never says to wait (no backpressure).
 */
export const bunAdapter = nodeCompatAdapter('bun', {
  overrideGlobals: false,
  rawDownloads: false,
  requestHandlersCanHijack: false,
})
