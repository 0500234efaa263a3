import { type ConfigFile, configValue, type NodeEntry } from '../config.ts'
import type { Platform } from '../runtime/types.ts'
import type { FrontDoorSettings } from '../front-door/door.ts'
import { checked, fromText } from './args.ts'
import type { NAME_STYLES } from '../docker/refs.ts'
import type { STRATEGIES } from '../schedule/strategies.ts'
import { type LOG_FORMATS, type LOG_LEVELS, SETTINGS } from '../settings.ts'

/** Every setting's value, by flag name, after flags, environment and config file were combined. */
export interface Settings {
  readonly host: readonly string[]
  readonly node: readonly NodeEntry[]
  readonly config?: string
  readonly tlscerts?: string
  readonly names?: (typeof NAME_STYLES)[number]
  readonly 'require-names'?: boolean
  readonly strategy?: (typeof STRATEGIES)[number]
  readonly 'health-interval'?: number
  readonly 'health-threshold'?: number
  readonly 'health-timeout'?: number
  readonly 'health-silence-limit'?: number
  readonly 'health-facts-interval'?: number
  readonly 'host-timeout'?: number
  readonly 'list-cache'?: boolean
  readonly 'shutdown-grace'?: number
  readonly store?: string
  readonly admin?: string
  readonly 'log-level'?: (typeof LOG_LEVELS)[number]
  readonly 'log-format'?: (typeof LOG_FORMATS)[number]
  readonly 'log-requests'?: boolean
  readonly tls?: boolean
  readonly tlsverify?: boolean
  readonly tlscacert?: string
  readonly tlscert?: string
  readonly tlskey?: string
  readonly 'allow-insecure-tcp'?: boolean
  readonly 'tenant-images'?: 'shared' | 'per-tenant'
  readonly group?: string
  readonly 'allowed-host'?: readonly string[]
  readonly 'allowed-origin'?: readonly string[]
  readonly tokens?: FrontDoorSettings['tokens']
  readonly policy?: FrontDoorSettings['policy']
  readonly limits?: FrontDoorSettings['limits']
}

/**
 * A flag wins over its environment variable, which wins over the config file. Repeatable settings
 * (listen addresses, nodes) add up from all three instead.
 */
export function resolveSettings(
  flags: Readonly<Record<string, unknown>>,
  platform: Platform,
  config: ConfigFile = {},
): Settings {
  const settings: Record<string, unknown> = {}
  for (const setting of SETTINGS) {
    const text = platform.env(setting.env)
    const fromEnv = text
      ? checked(setting, fromText(setting, setting.multiple ? splitList(text) : text), setting.env, text)
      : undefined
    const fromFile = setting.key ? configValue(config, setting.key) : undefined
    const sources = [flags[setting.flag], fromEnv, fromFile]
    settings[setting.flag] = setting.multiple
      ? sources.flatMap((value) => (value === undefined ? [] : [value].flat()))
      : sources.find((value) => value !== undefined)
  }
  return settings as unknown as Settings
}

/** The config file named by `--config` or `FLOCKER_CONFIG`. */
export function configPath(flags: Readonly<Record<string, unknown>>, platform: Platform): string | undefined {
  return (flags.config as string | undefined) ?? (platform.env('FLOCKER_CONFIG') || undefined)
}

const splitList = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean)
