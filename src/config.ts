import * as v from 'valibot'
import { parse as parseToml } from 'smol-toml'
import { parse as parseYaml } from 'yaml'
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
 * by its dot path. Unknown keys are refused, so a misspelt setting is never ignored silently.
 */
export const ConfigSchema = strictTree(SETTINGS.filter((s) => s.key))

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

const PARSERS: Record<string, { name: string; parse: (text: string) => unknown }> = {
  json: { name: 'JSON', parse: JSON.parse },
  yaml: { name: 'YAML', parse: (text) => parseYaml(text) },
  yml: { name: 'YAML', parse: (text) => parseYaml(text) },
  toml: { name: 'TOML', parse: parseToml },
}

/** Reads, parses (by extension: .json, .yaml/.yml, .toml) and checks a config file. */
export async function readConfigFile(path: string, platform: Platform): Promise<ConfigFile> {
  let text: string
  try {
    text = await platform.readTextFile(path)
  } catch (error) {
    throw new ConfigError(path, [`cannot be read: ${errorText(error)}`])
  }
  return parseConfig(path, text)
}

/** Parses and checks config text; the format comes from the file name's extension. */
export function parseConfig(path: string, text: string): ConfigFile {
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  const parser = PARSERS[extension]
  if (!parser) throw new ConfigError(path, [`unknown format .${extension}: use .json, .yaml, .yml or .toml`])
  let data: unknown
  try {
    data = parser.parse(text) ?? {}
  } catch (error) {
    throw new ConfigError(path, [`not valid ${parser.name}: ${errorText(error).split('\n')[0]}`])
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(path, ['(top): expected a table of settings'])
  }
  const result = v.safeParse(ConfigSchema, data)
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
