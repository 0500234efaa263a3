import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import type { FlockerOptions } from '../../src/options.ts'
import { serve } from '../../src/serve.ts'
import type { RunningServer } from '../../src/runtime/types.ts'
import { docker } from '../support/docker.ts'
import type { LocalEngines } from '../support/engines.ts'
import { freePort } from '../support/flocker.ts'
import { run } from '../support/run.ts'

/** The engine (by name, node1..) that holds a container, asked of each engine directly. */
export async function whereIs(engines: LocalEngines, container: string): Promise<string[]> {
  const found: string[] = []
  for (const engine of engines.engines) {
    // By exact name: a bare `inspect c2` would also match an ID that starts with "c2" on another host.
    const result = await docker(engine.url, ['inspect', '--type', 'container', '-f', '{{.Name}}', container])
    if (result.code === 0 && result.out.trim() === `/${container}`) found.push(engine.name)
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

/** A registry that needs a login (htpasswd, bcrypt), on a free loopback port; `stop()` removes it. */
export async function startAuthRegistry(user: string, password: string) {
  const dir = mkdtempSync(join(tmpdir(), 'flocker-authreg-'))
  const hash = (await run('python3', [
    '-W',
    'ignore',
    '-c',
    'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))',
    password,
  ])).out.trim()
  writeFileSync(join(dir, 'htpasswd'), `${user}:${hash}\n`)
  const port = await freePort()
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nhttp: { addr: 127.0.0.1:${port} }\nstorage: { filesystem: { rootdirectory: ${dir}/data } }\n` +
      `auth: { htpasswd: { realm: flocker-test, path: ${dir}/htpasswd } }\n`,
  )
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 401, () => false)
    if (ok) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    address: `127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  }
}
