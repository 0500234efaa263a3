import type { RE2JS } from 're2js'
import { badRequest } from '../docker/errors.ts'
import { re2 } from '../docker/re2.ts'

/**
 * Swarm classic's placement expressions: `constraint:region==eu`, `affinity:container!=db`,
 * `constraint:node==~node1` (soft: `~` after the operator means "if possible").
 */
export interface Expression {
  readonly kind: 'constraint' | 'affinity'
  readonly key: string
  readonly negate: boolean
  readonly soft: boolean
  readonly value: string
  /** As the user wrote it, for messages. */
  readonly text: string
}

const EXPRESSION = /^(constraint|affinity):([\w.\-/]+)\s*(==|!=)(~?)\s*(.*)$/s

/** Whether an env entry, label or build arg (as `key=value`) is a placement expression. */
export function isExpression(text: string): boolean {
  return /^(constraint|affinity):/.test(text)
}

export function parseExpression(text: string): Expression {
  const match = EXPRESSION.exec(text.trim())
  if (!match || !match[5]) {
    throw badRequest(
      `flocker: cannot read the placement expression "${text}": write constraint:KEY==VALUE, ` +
        `constraint:KEY!=VALUE, or affinity:container==NAME / affinity:image==NAME (add ~ after the ` +
        `operator for a soft rule)`,
    )
  }
  const [, kind, key, op, tilde, value] = match
  if (kind === 'affinity' && key !== 'container' && key !== 'image') {
    throw badRequest(
      `flocker: unknown affinity "${key}" in "${text}": use affinity:container or affinity:image`,
    )
  }
  return {
    kind: kind as Expression['kind'],
    key: key!,
    negate: op === '!=',
    soft: tilde === '~',
    value: value!,
    text: text.trim(),
  }
}

/**
 * Matches one value against the expression's pattern: `/regex/`, a glob (`eu-*`, `node?`), or a
 * plain string; globs and plain strings ignore case, as Swarm did. Patterns come from clients and
 * are matched against names clients choose, so they run on RE2 (linear time, no backtracking),
 * and are capped in length.
 */
export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern.length > MAX_PATTERN) {
    throw badRequest(`flocker: placement pattern longer than ${MAX_PATTERN} characters`)
  }
  return compiled(pattern).matcher(value).find()
}

export const MAX_PATTERN = 256

/** Compiled patterns, a bounded few: a scheduling round matches one pattern against every host. */
const cache = new Map<string, RE2JS>()

function compiled(pattern: string): RE2JS {
  let regex = cache.get(pattern)
  if (!regex) {
    regex = compile(pattern)
    if (cache.size >= 256) cache.delete(cache.keys().next().value!)
    cache.set(pattern, regex)
  }
  return regex
}

function compile(pattern: string): RE2JS {
  const RE2JS = re2()
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/')) {
    try {
      return RE2JS.compile(pattern.slice(1, -1))
    } catch {
      throw badRequest(`flocker: invalid regular expression ${pattern}`)
    }
  }
  const glob = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return RE2JS.compile(`^(?:${glob})$`, RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL)
}

/** Whether any of the values matches (an empty list matches nothing). */
export function anyMatches(expression: Expression, values: readonly string[]): boolean {
  return values.some((value) => matchesPattern(expression.value, value))
}

/** `KEY=VALUE` pairs as the CLI sends labels and build args (`--label constraint:a==b` -> key `constraint:a`, value `=b`). */
export function joinPair(key: string, value: string | null | undefined): string {
  return value === undefined || value === null || value === '' ? key : `${key}=${value}`
}

/** Label keys Swarm classic used to record expressions: a JSON list of `key==value` strings. */
export const SWARM_LABELS = {
  constraint: 'com.docker.swarm.constraints',
  affinity: 'com.docker.swarm.affinities',
} as const

/** Expressions from a container's labels: Swarm's JSON-list labels and `constraint:`/`affinity:` labels. */
export function expressionsFromLabels(
  labels: Readonly<Record<string, string>> | null | undefined,
): Expression[] {
  const out: Expression[] = []
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (isExpression(key)) out.push(parseExpression(joinPair(key, value)))
    for (const kind of ['constraint', 'affinity'] as const) {
      if (key === SWARM_LABELS[kind]) {
        for (const item of swarmList(value, key)) out.push(parseExpression(`${kind}:${item}`))
      }
    }
  }
  return out
}

function swarmList(value: string, key: string): string[] {
  try {
    const parsed = JSON.parse(value) as unknown
    if (Array.isArray(parsed)) return parsed.map(String)
  } catch {
    // not JSON: a single expression
  }
  if (!value.trim()) throw badRequest(`flocker: label ${key} is empty`)
  return [value]
}

/** Splits a create's Env into the placement expressions and the env the engine should see. */
export function splitEnv(
  env: readonly string[] | null | undefined,
): { expressions: Expression[]; env: string[] } {
  const expressions: Expression[] = []
  const rest: string[] = []
  for (const entry of env ?? []) {
    if (isExpression(entry)) expressions.push(parseExpression(entry))
    else rest.push(entry)
  }
  return { expressions, env: rest }
}
