import { errorText } from './docker/errors.ts'
import { createFlocker } from './app.ts'
import { type ConfigFile, nodeFromFlag, nodeSpec, readConfigFile } from './config.ts'
import type { HostSpec } from './flock/flock.ts'
import { FLOCKER_VERSION } from './version.ts'
import { DEFAULT_LISTEN, parseListenAddress, serve } from './serve.ts'
import { detectRuntime } from './runtime/mod.ts'
import type { Platform, RuntimeAdapter } from './runtime/types.ts'
import { isNameStyle, type NameStyle } from './docker/refs.ts'
import { isStrategy, type StrategyName } from './schedule/strategies.ts'

export const USAGE = `Usage: flocker [OPTIONS]

One Docker Engine API endpoint in front of a flock of docker hosts.

Options:
  -H, --host ADDR        Listen address, repeatable (default ${DEFAULT_LISTEN}); tcp://IP:PORT or unix:///PATH
      --node [NAME=]URL  A docker host, repeatable: tcp://HOST:PORT, unix:///PATH, https://HOST:PORT
      --config FILE      JSON config file (listen, nodes, names, ...); reloaded when it changes
      --tlscerts DIR     ca.pem, cert.pem, key.pem for https:// nodes (default $DOCKER_CERT_PATH)
      --names STYLE      How names show in lists: plain (default), at (name@host), slash (host/name)
      --require-names    Refuse a create without --name (the original flocker did)
      --strategy NAME    Where new containers go: spread (default), binpack, random
      --health-interval MS   Milliseconds between health checks of each host (default 5000)
      --health-threshold N   Failed checks in a row before a host is unhealthy (default 1)
      --host-timeout MS      How long a merged view waits for a slow host (default 5000)
      --log-requests     Log every request with its status and time to stderr
  -h, --help             Print this help
  -v, --version          Print the version

Environment: FLOCKER_HOST (listen addresses, comma-separated), FLOCKER_NODES (comma-separated
[NAME=]URL), FLOCKER_CONFIG. With no nodes, the local docker: $DOCKER_HOST, else /var/run/docker.sock.`

export interface CliArgs {
  listen: string[]
  nodes: string[]
  config?: string
  tlsCerts?: string
  names?: NameStyle
  requireNames?: boolean
  strategy?: StrategyName
  logRequests?: boolean
  healthInterval?: number
  healthThreshold?: number
  hostTimeout?: number
  help?: boolean
  version?: boolean
}

export class UsageError extends Error {}

/** Parses the command line; unknown flags and missing values are usage errors. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { listen: [], nodes: [] }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1
    const flag = eq > 0 ? raw.slice(0, eq) : raw
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined
    const value = () => {
      if (inline !== undefined) return inline
      const next = argv[++i]
      if (next === undefined) throw new UsageError(`flag ${flag} needs a value`)
      return next
    }
    switch (flag) {
      case '-H':
      case '--host':
        args.listen.push(value())
        break
      case '--node':
        args.nodes.push(value())
        break
      case '--config':
        args.config = value()
        break
      case '--tlscerts':
        args.tlsCerts = value()
        break
      case '--names': {
        const style = value()
        if (!isNameStyle(style)) {
          throw new UsageError(`--names takes plain, at or slash, not "${style}"`)
        }
        args.names = style as NameStyle
        break
      }
      case '--require-names':
        args.requireNames = true
        break
      case '--strategy': {
        const strategy = value()
        if (!isStrategy(strategy)) {
          throw new UsageError(`--strategy takes spread, binpack or random, not "${strategy}"`)
        }
        args.strategy = strategy
        break
      }
      case '--health-interval':
        args.healthInterval = positiveNumber(flag, value())
        break
      case '--health-threshold':
        args.healthThreshold = positiveNumber(flag, value())
        break
      case '--host-timeout':
        args.hostTimeout = positiveNumber(flag, value())
        break
      case '--log-requests':
        args.logRequests = true
        break
      case '-h':
      case '--help':
        args.help = true
        break
      case '-v':
      case '--version':
        args.version = true
        break
      default:
        throw new UsageError(`unknown flag: ${raw}`)
    }
  }
  return args
}

function positiveNumber(flag: string, text: string): number {
  const number = Number(text)
  if (!Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${flag} takes a positive number, not "${text}"`)
  }
  return number
}

const splitList = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)

/** Hosts from flags, env and config file; the local docker when none is given. */
async function hostSpecs(args: CliArgs, config: ConfigFile, platform: Platform): Promise<HostSpec[]> {
  const certs = args.tlsCerts ?? platform.env('DOCKER_CERT_PATH')
  const flags = [...args.nodes, ...splitList(platform.env('FLOCKER_NODES'))]
  const specs = [
    ...await Promise.all(flags.map((text) => nodeFromFlag(text, platform, certs))),
    ...await Promise.all((config.nodes ?? []).map((entry) => nodeSpec(entry, platform, certs))),
  ]
  if (specs.length) return specs
  return [await localDocker(platform)]
}

function localDocker(platform: Platform): Promise<HostSpec> {
  const url = platform.env('DOCKER_HOST') || 'unix:///var/run/docker.sock'
  const certs = platform.env('DOCKER_CERT_PATH')
  const tlsVerify = Boolean(platform.env('DOCKER_TLS_VERIFY'))
  const https = url.replace(/^tcp:\/\//, tlsVerify || certs ? 'https://' : 'tcp://')
  return nodeSpec(
    { name: 'local', url: https, certPath: tlsVerify || certs ? certs : undefined, tlsVerify },
    platform,
  )
}

/** Runs flocker from the command line; resolves once it listens. */
export async function main(runtime: RuntimeAdapter = detectRuntime()): Promise<void> {
  const { platform } = runtime
  let args: CliArgs
  try {
    args = parseArgs(platform.args())
  } catch (error) {
    platform.stderr(`flocker: ${(error as Error).message}\n\n${USAGE}`)
    return platform.exit(2)
  }
  if (args.help) return void platform.stdout(USAGE)
  if (args.version) return void platform.stdout(`flocker ${FLOCKER_VERSION}`)
  try {
    await start(args, runtime)
  } catch (error) {
    platform.stderr(`flocker: ${errorText(error)}`)
    platform.exit(1)
  }
}

async function start(args: CliArgs, runtime: RuntimeAdapter) {
  const { platform } = runtime
  const configPath = args.config ?? platform.env('FLOCKER_CONFIG')
  const config = configPath ? await readConfigFile(configPath, platform) : {}
  const listen = [...args.listen, ...splitList(platform.env('FLOCKER_HOST')), ...[config.listen ?? []].flat()]
  if (!listen.length) listen.push(DEFAULT_LISTEN)
  listen.forEach(parseListenAddress)
  const hosts = await hostSpecs(args, config, platform)
  const app = createFlocker({
    hosts,
    runtime,
    names: args.names ?? config.names,
    requireNames: args.requireNames ?? config.requireNames,
    strategy: args.strategy ?? config.strategy,
    health: {
      ...config.health,
      ...(args.healthInterval ? { interval: args.healthInterval } : {}),
      ...(args.healthThreshold ? { failureThreshold: args.healthThreshold } : {}),
    },
    hostTimeout: args.hostTimeout ?? config.hostTimeout,
    log: args.logRequests || platform.env('FLOCKER_LOG_REQUESTS') ? platform.stderr : undefined,
  })
  const server = await serve(app, {
    listen,
    runtime,
    onError: (error) => platform.stderr(`flocker: ${errorText(error)}`),
  })
  const names = app.flock.all.map((host) => `${host.name} (${host.address})`).join(', ')
  platform.stdout(`flocker ${FLOCKER_VERSION} on ${runtime.name} listening on ${server.addresses.join(', ')}`)
  platform.stdout(`hosts: ${names}`)
  if (configPath) watchConfig(configPath, args, app, platform)
  platform.onShutdown(async () => {
    await app.close()
    await server.close()
  })
}

/** Hosts added to or removed from the config file join or leave the flock without a restart. */
function watchConfig(path: string, args: CliArgs, app: ReturnType<typeof createFlocker>, platform: Platform) {
  platform.watchFile(path, async () => {
    try {
      const config = await readConfigFile(path, platform)
      const { added, removed } = app.setHosts(await hostSpecs(args, config, platform))
      await app.checkHosts()
      platform.stdout(
        `config reloaded: ${added.length} hosts added${added.map((h) => ` ${h.name}`).join('')}, ` +
          `${removed.length} removed${removed.map((h) => ` ${h.name}`).join('')}`,
      )
    } catch (error) {
      platform.stderr(`flocker: config not reloaded: ${errorText(error)}`)
    }
  })
}
