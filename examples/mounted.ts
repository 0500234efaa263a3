/**
 * flocker mounted in a larger Hono app: the app has routes of its own, and the Docker API lives under
 * /docker. A docker client uses it with DOCKER_HOST=tcp://127.0.0.1:8080/docker (the CLI puts the prefix
 * before every path). `serve()` gives the outer app hijack (attach, exec), so `docker run -i` works too.
 *
 *   FLOCKER_NODES=node1=tcp://127.0.0.1:23751 npx tsx examples/mounted.ts
 *   FLOCKER_NODES=... bun run examples/mounted.ts
 *   FLOCKER_NODES=... deno run -A examples/mounted.ts
 *
 * Environment: FLOCKER_NODES (comma-separated [NAME=]URL, default the local docker), PORT (default 8080).
 */
import { Hono } from 'hono'
import { createFlocker, detectRuntime, serve } from '../mod.ts'

const { platform } = detectRuntime()
const nodes = (platform.env('FLOCKER_NODES') ?? 'local=unix:///var/run/docker.sock').split(',')
const port = platform.env('PORT') ?? '8080'

const flocker = createFlocker({ hosts: nodes })

const outer = new Hono()
outer.get('/', (c) => c.text('an app with a docker flock under /docker\n'))
outer.get(
  '/hosts',
  (c) => c.json(flocker.flock.all.map((host) => ({ name: host.name, status: host.status }))),
)
outer.route('/docker', flocker)

const server = await serve(outer, { listen: `tcp://127.0.0.1:${port}` })
platform.stdout(`listening on ${server.addresses.join(', ')}; DOCKER_HOST=${server.addresses[0]}/docker`)
platform.onShutdown(async () => {
  await flocker.close()
  await server.close()
})
