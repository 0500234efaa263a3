/**
 * flocker: one Docker Engine API endpoint in front of a flock of docker hosts.
 *
 * ```ts
 * import { createFlocker, serve } from 'flocker'
 * const app = createFlocker({ hosts: ['node1=tcp://10.0.0.1:2375', 'node2=unix:///var/run/docker.sock'] })
 * await serve(app, { listen: 'tcp://127.0.0.1:2375' })
 * ```
 *
 * Run as a program (`deno run -P mod.ts --node ...`, with deno.json's permission set) it is the flocker
 * command line.
 * @module
 */
export { createFlocker, type FlockerApp } from './src/app.ts'
export { type Fetchable, serve, type ServeOptions } from './src/serve.ts'
export type { FlockerHooks, RouteInfo } from './src/hooks.ts'
export type { FlockerOptions, HostInput, LegacyHostSpec } from './src/options.ts'
export type { HostSpec } from './src/flock/flock.ts'
export type { Host, HostStatus } from './src/flock/host.ts'
export { LocalNameReservations, type NameLease, type NameReservations } from './src/names/reservations.ts'
export { readTlsDirectory } from './src/addresses/tls-directory.ts'
export { routes } from './src/routes/table.ts'
export { detectRuntime } from './src/runtime/mod.ts'
export type { RunningServer, RuntimeAdapter } from './src/runtime/types.ts'
export { main } from './src/cli.ts'

if ((import.meta as { main?: boolean }).main) {
  const { denoPermissionHint } = await import('./src/runtime/deno-permissions.ts')
  const hint = denoPermissionHint()
  if (hint) {
    console.error(hint)
    ;(globalThis as { Deno?: { exit(code: number): never } }).Deno?.exit(2)
  }
  const { main } = await import('./src/cli.ts')
  await main()
}
