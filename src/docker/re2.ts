import type { RE2JS } from 're2js'

/**
 * re2js, Go's regexp in JavaScript (a third of a megabyte), loads after start-up: only a filter
 * pattern or a placement expression needs it. The app waits for `loadRe2()` before every request but
 * /_ping, and starts loading it once the first /_ping is answered.
 */
let engine: typeof RE2JS | undefined
let loading: Promise<typeof RE2JS> | undefined

export function loadRe2(): Promise<typeof RE2JS> {
  return loading ??= import('re2js').then((module) => engine = module.RE2JS)
}

export function re2Loaded(): boolean {
  return engine !== undefined
}

/** re2js's RE2JS class, once `loadRe2()` has settled. */
export function re2(): typeof RE2JS {
  if (!engine) throw new Error('re2js is used before loadRe2() settled')
  return engine
}
