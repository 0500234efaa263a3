/**
 * Bundles the command line for Node (`npm start`, `npx flocker`) into dist/bin/flocker.js with esbuild.
 * Node 20 spends most of a start in its module loader (about 220 files: src and hono, logtape, valibot);
 * one file starts about twice as fast. Modules loaded with `await import()` (store drivers, admin
 * listener and metrics, config file parsers) stay separate chunks, loaded only when used; the store
 * drivers' packages stay outside (redis, etcd3 and cockatiel load from node_modules when a store is set).
 * Library users import dist/mod.js, the unbundled tsc output.
 */
import { build } from 'esbuild'

await build({
  entryPoints: { flocker: 'src/server.ts' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['redis', 'etcd3', 'cockatiel'],
  // Bundled CommonJS packages (prom-client) call require() for node:* modules.
  banner: {
    js:
      "import { createRequire as flockerRequire } from 'node:module'\nconst require = flockerRequire(import.meta.url)",
  },
  logLevel: 'warning',
})
