import assert from 'node:assert/strict'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import type { FlockerOptions } from '../../src/options.ts'
import { eventually } from './eventually.ts'
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

/**
 * Starts the app's followers (the name index, the list cache) and waits until their first reads
 * are over: each engine has `streams` events streams open and has been asked nothing new for a
 * while. Tests that count what an engine was asked clear the counts after this, so the followers'
 * own lists and streams are not counted as the request's.
 */
export async function followed(app: FlockerApp, engines: readonly FakeEngine[], streams = 1): Promise<void> {
  await app.checkHosts()
  await eventually(() =>
    assert.ok(engines.every((engine) => engine.eventStreams >= streams), 'streams not open')
  )
  const asked = () => engines.map((engine) => engine.requests.length).join()
  for (let last = asked(), quiet = 0; quiet < 5; quiet++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    if (asked() !== last) [last, quiet] = [asked(), 0]
  }
}
