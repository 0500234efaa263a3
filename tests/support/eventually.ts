import { HANG } from './raw-http.ts'

/**
 * Retries `check` until it passes. The bound is HANG, far above any healthy wait: it turns a hang into a
 * failure and is never a timing assertion.
 */
export async function eventually<T>(check: () => T | Promise<T>): Promise<T> {
  const deadline = Date.now() + HANG
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}
