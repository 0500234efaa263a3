/**
 * flocker as a library without a server: `app.fetch` answers Docker API requests in-process, e.g. in
 * a test, a serverless handler, or a tool that wants the flock's merged view.
 *
 *   FLOCKER_NODES=node1=tcp://127.0.0.1:23751,node2=tcp://127.0.0.1:23752 npx tsx examples/embedded.ts
 *   (also: bun run examples/embedded.ts, deno run -A examples/embedded.ts)
 */
import { createFlocker, detectRuntime } from '../mod.ts'

const { platform } = detectRuntime()
const nodes = (platform.env('FLOCKER_NODES') ?? 'local=unix:///var/run/docker.sock').split(',')
const flocker = createFlocker({ hosts: nodes })

const containers = await flocker.fetch(new Request('http://flocker/v1.41/containers/json?all=1'), {})
const list = await containers.json() as { Names: string[]; State: string }[]
platform.stdout(`${list.length} containers on ${flocker.flock.all.length} hosts`)
for (const container of list) platform.stdout(`${container.Names.join(',')}\t${container.State}`)

const info = await flocker.fetch(new Request('http://flocker/info'), {})
const { Containers = 0, NCPU = 0, MemTotal = 0 } = await info.json() as Record<string, number>
platform.stdout(`flock: ${Containers} containers, ${NCPU} CPUs, ${Math.round(MemTotal / 2 ** 30)} GiB`)
await flocker.close()
