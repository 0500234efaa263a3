import { Observers } from '../../src/observe/observer.ts'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Flock } from '../../src/flock/flock.ts'
import { HealthMonitor } from '../../src/flock/health.ts'
import { LocalNameReservations } from '../../src/names/reservations.ts'
import { resolveOptions } from '../../src/options.ts'
import type { FlockerContext } from '../../src/routes/context.ts'
import { everyHost } from '../../src/routes/kinds/every-host.ts'
import { PlacementMemory } from '../../src/schedule/memory.ts'
import { Coordination } from '../../src/store/coordination.ts'
import type { DockerRequest } from '../../src/routes/request.ts'
import type { RuntimeAdapter } from '../../src/runtime/types.ts'

/** Two fake engines: node1 pulls, node2 answers 404 as a registry without the image makes it. */
const adapter = {
  connect: (endpoint: { port?: number }) => ({
    request: () =>
      Promise.resolve(
        endpoint.port === 1
          ? new Response(
            '{"status":"Pulling from x","id":"1"}\n{"status":"Status: Downloaded newer image for x:1"}\n',
          )
          : Response.json({ message: 'manifest for x:1 not found' }, { status: 404 }),
      ),
  }),
} as unknown as RuntimeAdapter

function request(): DockerRequest {
  const url = new URL('http://flocker/images/create?fromImage=x&tag=1')
  return {
    method: 'POST',
    versionPrefix: '',
    url,
    headers: new Headers(),
    signal: new AbortController().signal,
    env: {},
    hasBody: false,
    raw: new Request(url, { method: 'POST' }),
    upstreamPath: (path: string) => `${path}${url.search}`,
    body: () => null,
  }
}

test("a pull that fails on one host ends the merged stream with that host's error", async () => {
  const flock = new Flock(adapter, [
    { name: 'node1', url: 'tcp://127.0.0.1:1' },
    { name: 'node2', url: 'tcp://127.0.0.1:2' },
  ])
  const ctx: FlockerContext = {
    flock,
    options: resolveOptions({}),
    hooks: {},
    adapter,
    health: new HealthMonitor(() => []),
    names: new LocalNameReservations(),
    observers: new Observers(),
    inventory: { lastListError: '' },
    placement: { flock, memory: new PlacementMemory(), hooks: {}, strategy: 'spread', hostTimeout: 1_000 },
    coordination: new Coordination(),
  }
  const response = await everyHost('progress', 'pull-targets')(ctx, request(), {}, '/images/create')
  assert.equal(response.status, 200)
  const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line))
  assert.deepEqual(lines.at(-1), {
    error: 'node2: manifest for x:1 not found',
    errorDetail: { message: 'node2: manifest for x:1 not found' },
  })
  assert.ok(lines.some((line) => line.id === 'node1: 1'))
})
