import { createFlocker, type FlockerApp } from '../../src/app.ts'
import type { FlockerOptions } from '../../src/options.ts'
import { type FakeEngine, startFakeEngines } from './fake-engine.ts'

/** A request to the app as a client sends it (no server in between). */
export const get = async (app: FlockerApp, path: string, method = 'GET'): Promise<Response> =>
  await app.fetch(new Request(`http://flocker${path}`, { method }), {})

/** Container inspect as flocker shows it: with its host. */
export interface Inspected {
  Id: string
  Name: string
  Config: { Labels: Record<string, string> }
  Node: { Name: string; Addr: string }
}

/** `count` fake engines (fake1..fakeN), filled by `fill`, with a flocker app over them. */
export async function startFakeFlock(
  count: number,
  fill: (engine: FakeEngine, index: number) => void = () => {},
  options: FlockerOptions = {},
): Promise<{ engines: FakeEngine[]; app: FlockerApp; stop: () => Promise<void> }> {
  const engines = await startFakeEngines(count)
  engines.forEach(fill)
  const app = createFlocker({ hosts: engines.map((e) => `${e.name}=${e.url}`), ...options })
  const stop = async () => {
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  }
  return { engines, app, stop }
}
