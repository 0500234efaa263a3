/**
 * Bundles the command line for Node (`npm start`, `npx flocker`) with esbuild, run by `npm run build`:
 * - dist/bin/flocker-main.cjs: src/server.ts and what it imports at start (src, hono, logtape, valibot)
 *   as one CommonJS file. Node 20 spends most of a start loading modules (about 220 files unbundled);
 *   one file starts about twice as fast. Packages only some runs use stay outside and load from
 *   node_modules when used: the config file parsers, re2js, prom-client, the store drivers' clients.
 * - dist/bin/flocker.js: the bin, which runs that file from a V8 code cache
 *   (src/runtime/node-code-cache.ts) so that the bundle is not compiled again at every start.
 * Library users import dist/mod.js, the unbundled tsc output.
 */
import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const MAIN = 'dist/bin/flocker-main.cjs'

/**
 * V8 flags the bin runs Node with (also `npm start` in package.json and the bench's launcher,
 * bench/procs.ts; a unit test keeps the three alike). `--initial-old-space-size=64`: without it,
 * V8 lowers the old generation's first limit to a few MB above flocker's ~10 MB heap, and a long download
 * (export, cp) then brings a full mark-compact every few MB, the Buffers' memory outside the heap pressing
 * it: 8 to 11 in a 200 MB `GET /archive`, a third of flocker's CPU, where the bare proxy's 7 MB heap had none.
 * Only on the command line: NODE_OPTIONS refuses it and `v8.setFlagsFromString` is too late for the heap.
 */
const V8_FLAGS = '--initial-old-space-size=64'

/**
 * The bin's first two lines: sh starts node with V8_FLAGS (`env -S` would do, but busybox's env, as on
 * Alpine, has no -S); node reads the second line as a string and a comment.
 */
const BIN_BANNER = `#!/bin/sh\n':' //; exec node ${V8_FLAGS} "$0" "$@"`

/**
 * @hono/node-server imports node:http2 only to tell an HTTP/2 request apart (`instanceof
 * Http2ServerRequest`); flocker's listeners are HTTP/1.1, so nothing is one. Node loads node:http2
 * with node:tls and node:crypto, several ms of every start: the bundle gets a class nothing is an
 * instance of instead.
 */
const noHttp2InHonoServer = {
  name: 'no-http2-in-hono-server',
  setup(build) {
    build.onResolve(
      { filter: /^(node:)?http2$/ },
      (args) =>
        args.importer.includes('@hono/node-server') ? { path: 'http2', namespace: 'http1-only' } : undefined,
    )
    build.onLoad({ filter: /.*/, namespace: 'http1-only' }, () => ({
      contents: 'export class Http2ServerRequest {}\nexport const constants = {}\n',
      loader: 'js',
    }))
  },
}

rmSync('dist/bin', { recursive: true, force: true })

await build({
  stdin: {
    // src/server.ts without its top-level await, which CommonJS cannot have.
    contents: "import { main } from './src/cli.ts'\nvoid main()\n",
    resolveDir: '.',
    sourcefile: 'src/server.ts',
    loader: 'ts',
  },
  outfile: MAIN,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: [
    'redis',
    'etcd3',
    'cockatiel',
    'yaml',
    'smol-toml',
    're2js',
    'prom-client',
    '@opentelemetry/api',
  ],
  plugins: [noHttp2InHonoServer],
  // `await import()` of those packages becomes require() (each has a CommonJS build): the bin runs
  // this file as a vm.Script, where import() would need Node's experimental vm module loader.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
})

const key = createHash('sha256').update(readFileSync(MAIN)).digest('hex').slice(0, 32)

await build({
  stdin: {
    contents: `import { runWithCodeCache } from './src/runtime/node-code-cache.ts'
runWithCodeCache(new URL('./flocker-main.cjs', import.meta.url), { key: '${key}' })
`,
    resolveDir: '.',
    sourcefile: 'flocker.ts',
    loader: 'ts',
  },
  outfile: 'dist/bin/flocker.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: BIN_BANNER },
  logLevel: 'warning',
})
chmodSync('dist/bin/flocker.js', 0o755)
