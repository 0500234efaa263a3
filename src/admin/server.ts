import type { FlockerApp } from '../app.ts'
import { FLOCKER_VERSION } from '../version.ts'
import { parseListenAddress, serve } from '../serve.ts'
import type { RunningServer, RuntimeAdapter } from '../runtime/types.ts'
import { type AdminOptions, createAdminApp } from './app.ts'

export type { ReloadState } from './status.ts'

export interface AdminServerOptions extends Omit<AdminOptions, 'runtime'> {
  /** dockerd's address syntax: `tcp://127.0.0.1:9323` or `unix:///run/flocker-admin.sock`. */
  readonly listen: string
  readonly runtime: RuntimeAdapter
}

/**
 * Starts the admin listener. Until the front door can protect it (TLS, tokens), it listens only on a
 * loopback address or a unix socket: metrics and status name every host of the flock.
 */
export async function startAdmin(flocker: FlockerApp, options: AdminServerOptions): Promise<RunningServer> {
  const endpoint = parseListenAddress(options.listen)
  if (endpoint.kind === 'tcp' && !isLoopback(endpoint.host)) {
    throw new Error(
      `the admin listener ${options.listen} must be on a loopback address (127.0.0.1, ::1) or a unix socket`,
    )
  }
  const versions = (globalThis as { process?: { versions?: Record<string, string> } }).process?.versions
  const admin = createAdminApp(flocker, {
    version: FLOCKER_VERSION,
    reload: options.reload,
    refresh: options.refresh,
    runtime: `${options.runtime.name} ${versions?.[options.runtime.name] ?? ''}`.trim(),
  })
  const server = await serve(admin, { listen: options.listen, runtime: options.runtime })
  return {
    addresses: server.addresses,
    close: async () => {
      admin.close()
      await server.close()
    },
    shutdown: async (grace) => {
      admin.close()
      await server.shutdown(grace)
    },
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
