import * as v from 'valibot'
import { errorText } from './docker/errors.ts'
import { type HostSpec, toHostSpec } from './flock/host-spec.ts'
import { readTlsDirectory } from './addresses/tls-directory.ts'
import type { Platform } from './runtime/types.ts'
import { type NodeEntry, type Setting, SETTINGS } from './settings.ts'

export type { NodeEntry }

/** The config file as read: keys as in the settings table (`health.interval` is `{ health: { interval } }`). */
export type ConfigFile = Readonly<Record<string, unknown>>

/** A config file that cannot be used, with every problem found (`nodes[2].url: expected ...`). */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(`config file ${file}: ${problems.join('; ')}`)
  }
}

/**
 * The config file's schema, built from the settings table: one key per setting that has one, nested
 * by its dot path. Unknown keys are refused, so a misspelt setting is never ignored silently. Built
 * on first use: a flocker started without a config file never needs it.
 */
export function configSchema(): v.GenericSchema {
  return schema ??= strictTree(SETTINGS.filter((s) => s.key))
}
let schema: v.GenericSchema | undefined

function strictTree(settings: readonly Setting[], depth = 0): v.GenericSchema {
  const entries: Record<string, v.GenericSchema> = {}
  const groups = new Map<string, Setting[]>()
  for (const setting of settings) {
    const parts = setting.key!.split('.')
    if (parts.length === depth + 1) entries[parts[depth]!] = v.optional(setting.schema)
    else groups.set(parts[depth]!, [...(groups.get(parts[depth]!) ?? []), setting])
  }
  for (const [name, group] of groups) entries[name] = v.optional(strictTree(group, depth + 1))
  return v.strictObject(entries)
}

type Parse = (text: string) => unknown
/** Each format's parser, imported when a file of that format is read (most runs read none). */
const PARSERS: Record<string, { name: string; load: () => Promise<Parse> }> = {
  json: { name: 'JSON', load: () => Promise.resolve(JSON.parse) },
  yaml: { name: 'YAML', load: loadYaml },
  yml: { name: 'YAML', load: loadYaml },
  toml: { name: 'TOML', load: async () => (await import('smol-toml')).parse },
}

async function loadYaml(): Promise<Parse> {
  const { parse } = await import('yaml')
  return (text) => parse(text)
}

/** Reads, parses (by extension: .json, .yaml/.yml, .toml) and checks a config file. */
export async function readConfigFile(path: string, platform: Platform): Promise<ConfigFile> {
  let text: string
  try {
    text = await platform.readTextFile(path)
  } catch (error) {
    throw new ConfigError(path, [`cannot be read: ${errorText(error)}`])
  }
  return await parseConfig(path, text)
}

/** Parses and checks config text; the format comes from the file name's extension. */
export async function parseConfig(path: string, text: string): Promise<ConfigFile> {
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  const parser = PARSERS[extension]
  if (!parser) throw new ConfigError(path, [`unknown format .${extension}: use .json, .yaml, .yml or .toml`])
  const parse = await parser.load()
  let data: unknown
  try {
    data = parse(text) ?? {}
  } catch (error) {
    throw new ConfigError(path, [`not valid ${parser.name}: ${errorText(error).split('\n')[0]}`])
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(path, ['(top): expected a table of settings'])
  }
  const result = v.safeParse(configSchema(), data)
  if (!result.success) throw new ConfigError(path, result.issues.map(describeIssue))
  return result.output as ConfigFile
}

/** `nodes[2].url: expected tcp://, unix:// or https://`; an unknown key says so. */
export function describeIssue(issue: v.BaseIssue<unknown>): string {
  let where = ''
  for (const item of issue.path ?? []) {
    const key = item.key as string | number
    where += typeof key === 'number' ? `[${key}]` : `${where ? '.' : ''}${key}`
  }
  let message = issue.message
  if (issue.expected === 'never') message = 'unknown key'
  else if (issue.kind === 'schema' && issue.type === 'strict_object') message = 'expected a table of settings'
  else if (issue.kind === 'schema' && /^Invalid type/.test(message)) {
    message = `expected ${issue.expected}, got ${issue.received}`
  }
  return `${where || '(top)'}: ${message}`
}

/** The value at a setting's key (`health.interval`), if the file has it. */
export function configValue(config: ConfigFile, key: string): unknown {
  let value: unknown = config
  for (const part of key.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

/** A node entry of the config file as a HostSpec, with its certificates read. */
export async function nodeSpec(
  entry: NodeEntry,
  platform: Platform,
  defaultCertPath?: string,
): Promise<HostSpec> {
  if (typeof entry === 'string' || 'hostname' in entry) {
    const spec = toHostSpec(entry)
    return typeof entry === 'string' ? nodeSpec({ ...spec }, platform, defaultCertPath) : spec
  }
  const certPath = entry.certPath ?? (entry.url.startsWith('https://') ? defaultCertPath : undefined)
  const tls = certPath
    ? await readTlsDirectory(certPath, platform.readTextFile, entry.tlsVerify ?? true)
    : undefined
  return { name: entry.name, url: entry.url, labels: entry.labels, tls }
}
