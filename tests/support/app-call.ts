import type { FlockerApp } from '../../src/app.ts'

/** A JSON request to the app in-process at API 1.41: its answer parsed, or an error naming it. */
// deno-lint-ignore no-explicit-any -- engine answers of every shape
export async function callApp(app: FlockerApp, method: string, path: string, body?: unknown): Promise<any> {
  const response = await app.fetch(
    new Request(`http://flocker/v1.41${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    }),
    {},
  )
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : null
}
