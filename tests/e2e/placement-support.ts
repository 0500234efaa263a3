import { createFlocker, type FlockerApp } from '../../src/app.ts'
import type { FlockerOptions } from '../../src/options.ts'
import { serve } from '../../src/serve.ts'
import type { RunningServer } from '../../src/runtime/types.ts'
import { docker } from '../support/docker.ts'
import type { LocalEngines } from '../support/engines.ts'
import { freePort } from '../support/flocker.ts'

/** The engine (by name, node1..) that holds a container, asked of each engine directly. */
export async function whereIs(engines: LocalEngines, container: string): Promise<string[]> {
  const found: string[] = []
  for (const engine of engines.engines) {
    const result = await docker(engine.url, ['inspect', '--type', 'container', '-f', '{{.Id}}', container])
    if (result.code === 0) found.push(engine.name)
  }
  return found
}

/** Engines that have an image. */
export async function holdersOf(engines: LocalEngines, image: string): Promise<string[]> {
  const found: string[] = []
  for (const engine of engines.engines) {
    const result = await docker(engine.url, ['image', 'inspect', '-f', '{{.Id}}', image])
    if (result.code === 0) found.push(engine.name)
  }
  return found
}

/** Removes every container from every engine (directly), so each test starts from empty hosts. */
export async function clearContainers(engines: LocalEngines): Promise<void> {
  for (const engine of engines.engines) {
    const ids = (await docker(engine.url, ['ps', '-aq'])).out.split('\n').filter(Boolean)
    if (ids.length) await docker(engine.url, ['rm', '-f', '-v', ...ids])
  }
}

/** flocker in this process (for hooks, which are code), served on a free port. */
export async function startInProcess(
  engines: LocalEngines,
  options: FlockerOptions = {},
): Promise<{ app: FlockerApp; dockerHost: string; stop(): Promise<void> }> {
  const app = createFlocker({ hosts: engines.engines.map((e) => e.flag), ...options })
  await app.checkHosts()
  const port = await freePort()
  const server: RunningServer = await serve(app, { listen: `tcp://127.0.0.1:${port}` })
  return {
    app,
    dockerHost: `tcp://127.0.0.1:${port}`,
    stop: async () => {
      await app.close()
      await server.close()
    },
  }
}
