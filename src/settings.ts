import * as v from 'valibot'
import { LimitsSchema, PolicySchema, TokenSchema } from './front-door/settings.ts'
import { parseEndpoint } from './addresses/endpoint.ts'
import { NAME_STYLES } from './docker/refs.ts'
import { toHostSpec } from './flock/host-spec.ts'
import { STRATEGIES } from './schedule/strategies.ts'
import { parseStoreUrl } from './store/open.ts'

/**
 * Every setting of the command line, once: its flag, its environment variable, its key in the config
 * file, and the schema its value must pass wherever it comes from. `--help`, the flag parser, the
 * environment, the config file's schema and the README's flag table all come from this list, so a
 * new setting is one entry here (plus where it is used).
 */
export interface Setting {
  /** The long flag, without `--`. */
  readonly flag: string
  readonly short?: string
  /** Environment variable; a repeatable setting takes a comma-separated list there. */
  readonly env: string
  /** Dot path in the config file; none for settings that only make sense at start (`--config`). */
  readonly key?: string
  /** Placeholder in `--help` (`ADDR`); a setting without one is a boolean switch. */
  readonly meta?: string
  /** Repeatable flag, list in the config file. */
  readonly multiple?: boolean
  readonly help: string
  /** The value as the config file holds it (after flag and environment text is converted). */
  readonly schema: v.GenericSchema
  /** Flag or environment text to the config file's form (numbers, booleans). */
  readonly fromText?: (text: string) => unknown
}

/** `tcp://IP:PORT` or `unix:///PATH` (dockerd's -H syntax; the port is required). */
export const ListenAddress = v.pipe(
  v.string(),
  v.check(
    (text) => validAddress(text) && (/^unix:\/\//.test(text) || /:\d+\/?$/.test(text.trim())),
    'expected tcp://IP:PORT or unix:///PATH',
  ),
)

/** A docker host's address: tcp://, unix://, https:// (or the original flocker's bare HOST:PORT). */
export const HostAddress = v.pipe(
  v.string(),
  v.check(validAddress, 'expected tcp://, unix:// or https://'),
)

function validAddress(text: string): boolean {
  try {
    parseEndpoint(text)
    return true
  } catch {
    return false
  }
}

/** `[NAME=]URL`, as --node and FLOCKER_NODES give a host. */
export const NodeText = v.pipe(
  v.string(),
  v.check(
    (text) => validAddress(toHostSpec(text).url),
    'expected [NAME=]URL with tcp://, unix:// or https://',
  ),
)

/** `redis://HOST:PORT[/DB]` or `etcd://HOST:PORT`, with `?lease=SECONDS&prefix=NAME`. */
export const StoreUrl = v.pipe(
  v.string(),
  v.check((text) => {
    try {
      parseStoreUrl(text)
      return true
    } catch {
      return false
    }
  }, 'expected redis://HOST:PORT[/DB] or etcd://HOST:PORT (?lease=SECONDS, ?prefix=NAME)'),
)

const Labels = v.record(v.string(), v.string())
const NodeObject = v.strictObject({
  name: v.optional(v.pipe(v.string(), v.nonEmpty('expected a host name'))),
  url: HostAddress,
  labels: v.optional(Labels),
  /** A directory with ca.pem, cert.pem, key.pem (docker's DOCKER_CERT_PATH layout). */
  certPath: v.optional(v.string()),
  tlsVerify: v.optional(v.boolean()),
})
/** The original flocker's shape. */
const LegacyNode = v.strictObject({ hostname: v.string(), docker: HostAddress, labels: v.optional(Labels) })

/** A host in the config file: `NAME=URL`, `{ name, url, labels, certPath, tlsVerify }` or `{ hostname, docker }`. */
export const NodeEntry = v.lazy((input: unknown) => {
  if (typeof input === 'string') return NodeText
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return NotANode
  return 'hostname' in input ? LegacyNode : NodeObject
})
const NotANode = v.custom<never>(
  () => false,
  'expected NAME=URL or { name, url, labels, certPath, tlsVerify }',
)
export type NodeEntry = string | v.InferOutput<typeof NodeObject> | v.InferOutput<typeof LegacyNode>

const WHOLE = 'expected a positive whole number'
const positiveInteger = v.pipe(
  v.number(WHOLE),
  v.check((n: number) => Number.isFinite(n), WHOLE),
  v.integer(WHOLE),
  v.minValue(1, WHOLE),
)
const choice = <T extends string>(...options: [T, ...T[]]) =>
  v.picklist(options, `expected ${options.slice(0, -1).join(', ')} or ${options.at(-1)}`)
const toNumber = (text: string) => (text.trim() === '' ? NaN : Number(text))
const toBoolean = (text: string) => !['', '0', 'false', 'no', 'off'].includes(text.trim().toLowerCase())
/** One value or a list of them: `listen: unix:///run/f.sock` or `listen: [a, b]`. */
const oneOrMany = (schema: v.GenericSchema) =>
  v.lazy((input: unknown) => (Array.isArray(input) ? v.array(schema) : schema))

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'fatal'] as const
export const LOG_FORMATS = ['text', 'json'] as const

export const SETTINGS: readonly Setting[] = [
  {
    flag: 'host',
    short: 'H',
    env: 'FLOCKER_HOST',
    key: 'listen',
    meta: 'ADDR',
    multiple: true,
    help: 'Listen address, repeatable: tcp://IP:PORT or unix:///PATH (default tcp://127.0.0.1:2375)',
    schema: oneOrMany(ListenAddress),
  },
  {
    flag: 'node',
    env: 'FLOCKER_NODES',
    key: 'nodes',
    meta: '[NAME=]URL',
    multiple: true,
    help: 'A docker host, repeatable: tcp://HOST:PORT, unix:///PATH, https://HOST:PORT',
    schema: v.array(NodeEntry),
  },
  {
    flag: 'config',
    env: 'FLOCKER_CONFIG',
    meta: 'FILE',
    help: 'Config file (.json, .yaml/.yml or .toml), reloaded when it changes',
    schema: v.string(),
  },
  {
    flag: 'tlscerts',
    env: 'DOCKER_CERT_PATH',
    key: 'tlsCerts',
    meta: 'DIR',
    help: 'ca.pem, cert.pem, key.pem for https:// nodes',
    schema: v.string(),
  },
  {
    flag: 'names',
    env: 'FLOCKER_NAMES',
    key: 'names',
    meta: 'STYLE',
    help: 'How names show in lists: plain (default), at (name@host), slash (host/name)',
    schema: choice(...NAME_STYLES),
  },
  {
    flag: 'require-names',
    env: 'FLOCKER_REQUIRE_NAMES',
    key: 'requireNames',
    help: 'Refuse a create without --name',
    schema: v.boolean(),
    fromText: toBoolean,
  },
  {
    flag: 'strategy',
    env: 'FLOCKER_STRATEGY',
    key: 'strategy',
    meta: 'NAME',
    help: 'Where new containers go: spread (default), binpack, random',
    schema: choice(...STRATEGIES),
  },
  {
    flag: 'health-interval',
    env: 'FLOCKER_HEALTH_INTERVAL',
    key: 'health.interval',
    meta: 'MS',
    help: 'Milliseconds between health checks of each host (default 5000)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'health-threshold',
    env: 'FLOCKER_HEALTH_THRESHOLD',
    key: 'health.failureThreshold',
    meta: 'N',
    help: 'Failed checks in a row before a host is unhealthy (default 1)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'health-timeout',
    env: 'FLOCKER_HEALTH_TIMEOUT',
    key: 'health.timeout',
    meta: 'MS',
    help: 'How long one health check may take (default 3000)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'health-silence-limit',
    env: 'FLOCKER_HEALTH_SILENCE_LIMIT',
    key: 'health.silenceLimit',
    meta: 'MS',
    help:
      'A host silent this long is unhealthy at its next failed check, whatever excuses it (default 15000)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'health-facts-interval',
    env: 'FLOCKER_HEALTH_FACTS_INTERVAL',
    key: 'health.factsInterval',
    meta: 'MS',
    help: 'How long a healthy host is checked with /_ping alone before /info is read again (default 60000)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'host-timeout',
    env: 'FLOCKER_HOST_TIMEOUT',
    key: 'hostTimeout',
    meta: 'MS',
    help: 'How long a merged view waits for a slow host (default 5000)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'list-cache',
    env: 'FLOCKER_LIST_CACHE',
    key: 'listCache',
    meta: 'on|off',
    help:
      "Answer the flock-wide container list, and inspects of quiet containers, from memory kept by the hosts' events (default on)",
    schema: v.boolean(),
    fromText: toBoolean,
  },
  {
    flag: 'shutdown-grace',
    env: 'FLOCKER_SHUTDOWN_GRACE',
    key: 'shutdownGrace',
    meta: 'MS',
    help: 'On SIGTERM/SIGINT, how long streams and attach/exec may go on (default 10000)',
    schema: positiveInteger,
    fromText: toNumber,
  },
  {
    flag: 'store',
    env: 'FLOCKER_STORE',
    key: 'store',
    meta: 'URL',
    help: 'Store shared by replicas: redis://HOST:PORT[/DB] or etcd://HOST:PORT (none: this process alone)',
    schema: StoreUrl,
  },
  {
    flag: 'admin',
    env: 'FLOCKER_ADMIN',
    key: 'admin',
    meta: 'ADDR',
    help:
      'Admin listener (metrics, status, live page): tcp://127.0.0.1:PORT or unix:///PATH (off by default)',
    schema: ListenAddress,
  },
  {
    flag: 'log-level',
    env: 'FLOCKER_LOG_LEVEL',
    key: 'log.level',
    meta: 'LEVEL',
    help: 'Lowest level logged: trace, debug, info (default), warning, error, fatal',
    schema: choice(...LOG_LEVELS),
  },
  {
    flag: 'log-format',
    env: 'FLOCKER_LOG_FORMAT',
    key: 'log.format',
    meta: 'FORMAT',
    help: 'Log lines as text (default) or json (one object per line)',
    schema: choice(...LOG_FORMATS),
  },
  {
    flag: 'log-requests',
    env: 'FLOCKER_LOG_REQUESTS',
    key: 'log.requests',
    help: 'Log one line per request (ID, client, route, hosts, status, bytes, time)',
    schema: v.boolean(),
    fromText: toBoolean,
  },
  // The front door (README: Security): dockerd's listener flags, then who may do what.
  ...(['tls', 'tlsverify'] as const).map((flag): Setting => ({
    flag,
    env: `FLOCKER_${flag.toUpperCase()}`,
    key: flag,
    help: flag === 'tls'
      ? 'Serve tcp addresses over TLS (--tlscert, --tlskey)'
      : 'TLS, and require client certificates signed by --tlscacert; the CN is the identity',
    schema: v.boolean(),
    fromText: toBoolean,
  })),
  ...([['tlscacert', 'CA of client certificates'], ['tlscert', "flocker's certificate"], [
    'tlskey',
    "flocker's key",
  ]] as const).map(([flag, what]): Setting => ({
    flag,
    env: `FLOCKER_${flag.toUpperCase()}`,
    key: flag,
    meta: 'FILE',
    help: `PEM file: ${what}`,
    schema: v.string(),
  })),
  {
    flag: 'allow-insecure-tcp',
    env: 'FLOCKER_ALLOW_INSECURE_TCP',
    key: 'allowInsecureTcp',
    help: 'Listen beyond loopback without --tlsverify or tokens (anyone who reaches it is root)',
    schema: v.boolean(),
    fromText: toBoolean,
  },
  {
    flag: 'tenant-images',
    env: 'FLOCKER_TENANT_IMAGES',
    key: 'tenantImages',
    meta: 'MODE',
    help: "Tenants' images: shared (default) or per-tenant (each tenant sees and touches only its own)",
    schema: choice('shared', 'per-tenant'),
  },
  {
    flag: 'group',
    env: 'FLOCKER_GROUP',
    key: 'group',
    meta: 'NAME',
    help: 'Group of the unix sockets (mode 0660)',
    schema: v.string(),
  },
  {
    flag: 'allowed-host',
    env: 'FLOCKER_ALLOWED_HOSTS',
    key: 'allowedHosts',
    meta: 'NAME',
    multiple: true,
    help: 'A name clients reach flocker by (Host header), repeatable; * for any',
    schema: v.array(v.string()),
  },
  {
    flag: 'allowed-origin',
    env: 'FLOCKER_ALLOWED_ORIGINS',
    key: 'allowedOrigins',
    meta: 'ORIGIN',
    multiple: true,
    help: 'A web origin allowed to call flocker (a dashboard), repeatable',
    schema: v.array(v.string()),
  },
  ...([['tokens', TokenSchema, true], ['policy', PolicySchema, false], [
    'limits',
    LimitsSchema,
    false,
  ]] as const)
    .map(([flag, schema, list]): Setting => ({
      flag,
      env: `FLOCKER_${flag.toUpperCase()}`,
      key: flag,
      meta: 'JSON',
      help: `The front door's ${flag} (JSON; usually in the config file)`,
      schema: list ? v.array(schema) : schema,
      fromText: (text) => JSON.parse(text),
    })),
]

/** Flags that are not settings: they make flocker print something and exit. */
export const ACTIONS = [
  { flag: 'help', short: 'h', help: 'Print this help' },
  { flag: 'version', short: 'v', help: 'Print the version and the runtime' },
] as const
