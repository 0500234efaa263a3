import { parseArgs as parseNodeArgs } from 'node:util'
import * as v from 'valibot'
import { ACTIONS, type Setting, SETTINGS } from '../settings.ts'

/** A command-line mistake: flocker prints it with the usage and exits 2. */
export class UsageError extends Error {}

export const COMMANDS = ['check'] as const
export type Command = 'serve' | (typeof COMMANDS)[number]

export interface CliArgs {
  readonly command: Command
  /** Flag values by flag name, already converted and checked (`'health-interval': 5000`). */
  readonly values: Readonly<Record<string, unknown>>
  readonly help: boolean
  readonly version: boolean
}

/**
 * The command line through `node:util`'s parseArgs (the same on Node, Bun and Deno), with the options
 * built from the settings table. Unknown flags, missing values and values the setting's schema refuses
 * are usage errors.
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  let parsed
  try {
    parsed = parseNodeArgs({
      args: [...argv],
      options: parseArgsOptions(),
      strict: true,
      allowPositionals: true,
    })
  } catch (error) {
    throw new UsageError(usageMessage(error))
  }
  const [command = 'serve', ...extra] = parsed.positionals
  if (command !== 'serve' && !(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command: ${command}`)
  }
  if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`)
  const values: Record<string, unknown> = {}
  for (const setting of SETTINGS) {
    const raw = (parsed.values as Record<string, string | boolean | string[] | undefined>)[setting.flag]
    if (raw === undefined) continue
    values[setting.flag] = checked(setting, fromText(setting, raw), `--${setting.flag}`, raw)
  }
  const flags = parsed.values as Record<string, unknown>
  return { command: command as Command, values, help: flags.help === true, version: flags.version === true }
}

function parseArgsOptions() {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {}
  for (const setting of SETTINGS) {
    options[setting.flag] = {
      type: setting.meta ? 'string' : 'boolean',
      ...(setting.short ? { short: setting.short } : {}),
      ...(setting.multiple ? { multiple: true } : {}),
    }
  }
  for (const action of ACTIONS) options[action.flag] = { type: 'boolean', short: action.short }
  return options
}

/** A flag's or variable's text in the form the config file holds (a boolean switch is already one). */
export function fromText(setting: Setting, raw: string | boolean | string[]): unknown {
  if (typeof raw === 'boolean') return raw
  const convert = setting.fromText ?? ((text: string) => text)
  return Array.isArray(raw) ? raw.map(convert) : convert(raw)
}

/** The value if the setting's schema takes it; else a usage error naming where it came from. */
export function checked(setting: Setting, value: unknown, where: string, text: unknown): unknown {
  const result = v.safeParse(setting.schema, value)
  if (result.success) return result.output
  const issue = result.issues[0]
  const index = issue.path?.[0]?.key
  const shown = Array.isArray(text) ? (typeof index === 'number' ? text[index] : undefined) : text
  throw new UsageError(`${where}${typeof shown === 'string' ? ` "${shown}"` : ''}: ${issue.message}`)
}

/** parseArgs' messages in flocker's words: `unknown flag: --x`, `--node needs a value`. */
function usageMessage(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string }
  const text = String(message ?? error)
  const flag = text.match(/'(-[^' ,]+)/)?.[1] ?? ''
  const long = text.match(/(--[\w-]+)/)?.[1] ?? flag
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag: ${flag}`
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take an argument/.test(text) ? `${long} takes no value` : `${long} needs a value`
  }
  return text
}

/** `--help`: every flag with its environment variable, from the settings table. */
export function usage(): string {
  const rows = [
    ...SETTINGS.map((s) => [flagColumn(s.flag, s.short, s.meta), s.help, envColumn(s)]),
    ...ACTIONS.map((a) => [flagColumn(a.flag, a.short), a.help, '']),
  ]
  const width = Math.max(...rows.map(([flag]) => flag!.length)) + 2
  const lines = rows.map(([flag, help, env]) =>
    `  ${flag!.padEnd(width)}${help}${env ? `\n  ${''.padEnd(width)}env ${env}` : ''}`
  )
  return [
    'Usage: flocker [OPTIONS]',
    '       flocker check [--config FILE | --node ...]   check the config and every host, then exit',
    '',
    'One Docker Engine API endpoint in front of a flock of docker hosts.',
    '',
    'Options (each also from its environment variable, or from the config file):',
    ...lines,
    '',
    'With no nodes, the local docker: $DOCKER_HOST, else /var/run/docker.sock.',
  ].join('\n')
}

function flagColumn(flag: string, short?: string, meta?: string): string {
  return `${short ? `-${short}, ` : '    '}--${flag}${meta ? ` ${meta}` : ''}`
}

function envColumn(setting: Setting): string {
  return setting.multiple ? `${setting.env} (comma-separated)` : setting.env
}
