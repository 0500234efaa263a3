/** The node-style callback the original flocker's listeners were given: `next(err, value)`. */
export type Callback<T = unknown> = (error?: unknown, value?: T) => void

/**
 * Runs a callback-style listener as a promise. An error passed to `next`, thrown, or rejected (an
 * async listener) rejects it; a second call of `next` is ignored.
 */
export function callbackToPromise<T>(invoke: (next: Callback<T>) => unknown): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (error: unknown, value?: T) => {
      if (settled) return
      settled = true
      if (error !== undefined && error !== null && error !== false) reject(toError(error))
      else resolve(value)
    }
    try {
      const returned = invoke((error, value) => settle(error, value))
      if (returned instanceof Promise) returned.catch((error) => settle(error ?? new Error('rejected')))
    } catch (error) {
      settle(error ?? new Error('threw'))
    }
  })
}

/** Hands a promise's outcome to a node-style callback (never calling it twice or inside a catch). */
export function promiseToCallback<T>(promise: Promise<T>, callback: Callback<T> | undefined): void {
  if (!callback) {
    promise.catch(() => {})
    return
  }
  promise.then(
    (value) => queueMicrotask(() => callback(null, value)),
    (error) => queueMicrotask(() => callback(error)),
  )
}

/** Whatever the old code passed as an error (often a string) as an Error with that message. */
export function toError(error: unknown): Error {
  if (error instanceof Error) return error
  if (typeof error === 'object' && error && typeof (error as { message?: unknown }).message === 'string') {
    return new Error((error as { message: string }).message)
  }
  return new Error(String(error))
}
