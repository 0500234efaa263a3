import type { RE2JS } from 're2js'
import { LRUCache } from 'lru-cache'
import { badRequest } from './errors.ts'
import { re2 } from './re2.ts'

/** The longest pattern a client may send in a filter (`name=`, `id=`): dockerd's are a name or two. */
export const MAX_CLIENT_PATTERN = 256

/**
 * A regular expression a client sent (the `name` and `id` filters of a list), compiled as dockerd
 * compiles it: Go's regexp is RE2, and so is re2js, so the match is the engine's and runs in linear
 * time whatever the pattern (no catastrophic backtracking on names clients choose). Undefined when
 * the pattern does not compile (dockerd then skips it); 400 past the length cap.
 */
export function goRegexp(pattern: string): RE2JS | undefined {
  if (pattern.length > MAX_CLIENT_PATTERN) {
    throw badRequest(`flocker: filter pattern longer than ${MAX_CLIENT_PATTERN} characters`)
  }
  const cached = compiled.get(pattern)
  if (cached !== undefined) return cached || undefined
  const RE2JS = re2()
  let regex: RE2JS | false
  try {
    regex = RE2JS.compile(pattern)
  } catch {
    regex = false
  }
  compiled.set(pattern, regex)
  return regex || undefined
}

/** Whether `regex` matches anywhere in `text` (Go's MatchString). */
export function goMatches(regex: RE2JS, text: string): boolean {
  return regex.matcher(text).find()
}

/** Patterns compiled lately: a list is filtered row by row with one pattern. Bounded. */
const compiled = new LRUCache<string, RE2JS | false>({ max: 256 })
