import { type LineBatch, lineBatch } from './log/line-batch.ts'
import { errorText } from './docker/errors.ts'
import { createFlocker, type FlockerApp } from './app.ts'
import { ConfigError, type ConfigFile, readConfigFile } from './config.ts'
import { FLOCKER_VERSION } from './version.ts'
import { DEFAULT_LISTEN, parseListenAddress, serve } from './serve.ts'
import { resolveListener } from './front-door/listener.ts'
import type { HostSpec } from './flock/host-spec.ts'
import { detectRuntime } from './runtime/mod.ts'
import type { RuntimeAdapter } from './runtime/types.ts'
import { type CliArgs, parseArgs, usage, UsageError } from './cli/args.ts'
import { configPath, resolveSettings, type Settings } from './cli/resolve.ts'
import { hostSpecs } from './cli/hosts.ts'
import { runCheck } from './cli/check.ts'
import { configureLogging, log, type LogSettings } from './log/logger.ts'
import type { LogLevel } from '@logtape/logtape'
import { logObserver } from './log/observer.ts'
import type { ReloadState } from './admin/server.ts'

export { parseArgs, usage, UsageError }

/** How long streams and hijacked connections may go on after SIGTERM/SIGINT (ms). */
export const DEFAULT_SHUTDOWN_GRACE = 10_000
export type { CliArgs, Settings }

/** `flocker 0.1.0 (node 20.20.0)`. */
export function versionLine(runtime: RuntimeAdapter): string {
  const versions = (globalThis as { process?: { versions?: Record<string, string> } }).process?.versions
  return `flocker ${FLOCKER_VERSION} (${runtime.name} ${versions?.[runtime.name] ?? 'unknown'})`
}

/** TLS to a host without verifying its certificate: anyone on the way can be that host. */
function insecureHostWarnings(hosts: readonly HostSpec[]): string[] {
  return hosts.filter((host) => host.tls?.insecure).map((host) =>
    `WARNING: TLS to host ${host.name ?? host.url} does not verify its certificate`
  )
}

/** Runs the command line: serves (resolving once it listens), or `check`, `--help`, `--version`. */
export async function main(runtime: RuntimeAdapter = detectRuntime()): Promise<void> {
  const { platform } = runtime
  let args: CliArgs
  let settings: Settings
  let config: ConfigFile = {}
  const file = () => configPath(args.values, platform)
  try {
    args = parseArgs(platform.args())
    if (args.help) return void platform.stdout(usage())
    if (args.version) return void platform.stdout(versionLine(runtime))
    if (file()) config = await readConfigFile(file()!, platform)
    settings = resolveSettings(args.values, platform, config)
  } catch (error) {
    if (error instanceof UsageError) {
      platform.stderr(`flocker: ${error.message}\n\n${usage()}`)
      return platform.exit(2)
    }
    platform.stderr(configErrorText(error))
    return platform.exit(1)
  }
  try {
    if (args.command === 'check') return platform.exit(await runCheck(settings, runtime))
    await start(settings, runtime)
  } catch (error) {
    platform.stderr(`flocker: ${errorText(error)}`)
    platform.exit(1)
  }
}

/** A config error as one line per problem. */
function configErrorText(error: unknown): string {
  if (!(error instanceof ConfigError)) return `flocker: ${errorText(error)}`
  return [`flocker: config file ${error.file} is not valid:`, ...error.problems.map((p) => `  ${p}`)].join(
    '\n',
  )
}

async function start(settings: Settings, runtime: RuntimeAdapter) {
  const { platform } = runtime
  // Audit lines: one write per 100 ms; log lines: one write per turn of the event loop (line-batch.ts).
  const audit = lineBatch(platform.stderr)
  const logLines = lineBatch(platform.stderr, { delayMs: 0 })
  const writeLog = logWriter(logLines)
  await configureLogging(logSettings(settings, writeLog))
  const listen = settings.host.length ? [...settings.host] : [DEFAULT_LISTEN]
  const accessLog = { requests: settings['log-requests'] ?? false }
  const endpoints = listen.map(parseListenAddress)
  const hosts = await hostSpecs(settings, platform)
  const listener = await resolveListener(
    {
      tls: settings.tls,
      tlsverify: settings.tlsverify,
      tlscacert: settings.tlscacert,
      tlscert: settings.tlscert,
      tlskey: settings.tlskey,
      allowInsecureTcp: settings['allow-insecure-tcp'],
      group: settings.group,
    },
    endpoints,
    Boolean(settings.tokens?.length),
    platform.readTextFile,
  )
  for (const warning of [...listener.warnings, ...insecureHostWarnings(hosts)]) {
    platform.stderr(`flocker: ${warning}`)
  }
  const app = createFlocker({
    hosts,
    runtime,
    names: settings.names,
    requireNames: settings['require-names'],
    strategy: settings.strategy,
    health: {
      ...(settings['health-interval'] ? { interval: settings['health-interval'] } : {}),
      ...(settings['health-threshold'] ? { failureThreshold: settings['health-threshold'] } : {}),
      ...(settings['health-timeout'] ? { timeout: settings['health-timeout'] } : {}),
      ...(settings['health-silence-limit'] ? { silenceLimit: settings['health-silence-limit'] } : {}),
      ...(settings['health-facts-interval'] ? { factsInterval: settings['health-facts-interval'] } : {}),
    },
    hostTimeout: settings['host-timeout'],
    listCache: settings['list-cache'],
    observer: logObserver(accessLog),
    frontDoor: {
      tokens: settings.tokens,
      policy: settings.policy,
      limits: settings.limits,
      allowedOrigins: settings['allowed-origin'],
      allowedHosts: settings['allowed-host'],
      listenHosts: endpoints.flatMap((e) => (e.kind === 'tcp' ? [e.host] : [])),
      audit: audit.line,
      // The detail of errors callers who are not admins read without it (addresses, exception text).
      log: (line) => log('front-door').warn('{line}', { line }),
    },
    store: settings.store,
    tenantImages: settings['tenant-images'],
  })
  const server = await serve(app, {
    listen,
    runtime,
    tls: listener.tls,
    socketGroup: listener.socketGroup,
    maxConnections: settings.limits?.connections,
    maxUpgradeBody: settings.limits?.upgradeBodyBytes,
    headTimeout: settings.limits?.idleMs,
    onError: (error) => log('server').error('{error}', { error: errorText(error) }),
  })
  const reload: ReloadState = {
    file: settings.config ?? configPath({}, platform),
    state: 'loaded',
    at: new Date(),
  }
  // The admin app and its metrics library load only when an admin listener is asked for.
  const admin = settings.admin
    ? await (await import('./admin/server.ts')).startAdmin(app, {
      listen: settings.admin,
      runtime,
      allowedHosts: settings['allowed-host'],
      reload: () => (reload.file ? reload : undefined),
    })
    : undefined
  const names = app.flock.all.map((host) => `${host.name} (${host.address})`).join(', ')
  platform.stdout(`${versionLine(runtime)} listening on ${server.addresses.join(', ')}`)
  if (admin) platform.stdout(`admin listener on ${admin.addresses.join(', ')}`)
  platform.stdout(`hosts: ${names}`)
  if (settings.store) {
    platform.stdout(`store: ${app.storeStatus().store} (replica ${app.storeStatus().replica})`)
  }
  if (reload.file) watchConfig(reload, settings, app, runtime, accessLog, writeLog)
  // The first signal: stop accepting, let plain requests finish, give streams the grace period.
  // A second signal exits at once (the platform does that).
  const grace = settings['shutdown-grace'] ?? DEFAULT_SHUTDOWN_GRACE
  platform.onShutdown(async () => {
    platform.stderr(
      `flocker: shutting down; streams may go on for ${grace} ms (a second signal stops at once)`,
    )
    await server.shutdown(grace)
    await app.close()
    await admin?.close()
    logLines.flush()
    audit.flush()
  })
}

type LogWrite = LogSettings['write']

/** Levels whose lines go out at once (with those queued before them): a problem is not held back. */
const URGENT: ReadonlySet<LogLevel> = new Set(['warning', 'error', 'fatal'])

/**
 * Log lines made in one turn of the event loop (a burst's placements, decided together on a shared
 * read) go out in one write, within a millisecond; a warning or worse goes out at once.
 */
function logWriter(lines: LineBatch): LogWrite {
  return (line, level) => {
    lines.line(line)
    if (URGENT.has(level)) lines.flush()
  }
}

function logSettings(settings: Settings, write: LogWrite) {
  return {
    level: settings['log-level'] ?? 'info',
    format: settings['log-format'] ?? 'text',
    write,
  }
}

/** Settings a running flocker takes from a reloaded file; the others wait for a restart. */
const LIVE = new Set(['node', 'tlscerts', 'log-level', 'log-format', 'log-requests', 'config'])

/**
 * Hosts added to or removed from the config file join or leave the flock without a restart, and log
 * settings apply at once. A file that fails to load or check leaves the running config in place, and
 * says why in the log and in the admin listener's /status.
 */
function watchConfig(
  reload: ReloadState,
  first: Settings,
  app: FlockerApp,
  runtime: RuntimeAdapter,
  accessLog: { requests: boolean },
  writeLog: LogWrite,
) {
  const { platform } = runtime
  const flags = parseArgs(platform.args()).values
  const logger = log('config')
  platform.watchFile(reload.file!, async () => {
    try {
      const settings = resolveSettings(flags, platform, await readConfigFile(reload.file!, platform))
      const { added, removed } = app.setHosts(await hostSpecs(settings, platform))
      await configureLogging(logSettings(settings, writeLog))
      accessLog.requests = settings['log-requests'] ?? false
      const waiting = Object.keys(settings).filter((key) =>
        !LIVE.has(key) &&
        JSON.stringify(settings[key as keyof Settings]) !== JSON.stringify(first[key as keyof Settings])
      )
      Object.assign(reload, { state: 'loaded', at: new Date(), error: undefined, problems: undefined })
      logger.info(
        'config reloaded from {file}: {added} hosts added{addedNames}, {removed} removed{removedNames}',
        {
          file: reload.file,
          added: added.length,
          addedNames: added.map((h) => ` ${h.name}`).join(''),
          removed: removed.length,
          removedNames: removed.map((h) => ` ${h.name}`).join(''),
        },
      )
      if (waiting.length) {
        logger.warn('config changes that take effect after a restart: {settings}', {
          settings: waiting.join(', '),
        })
      }
      await app.checkHosts()
    } catch (error) {
      const problems = error instanceof ConfigError ? [...error.problems] : [errorText(error)]
      Object.assign(reload, { state: 'failed', at: new Date(), error: problems.join('; '), problems })
      logger.error('config not reloaded, the running config stays: {file}: {problems}', {
        file: reload.file,
        problems: problems.join('; '),
      })
    }
  })
}
