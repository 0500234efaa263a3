/**
 * Golden files of body rewriting: each tests/golden/*.json holds an input and the body (and
 * placement expressions) flocker sends on. `UPDATE_GOLDEN=1` rewrites the expected parts.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { test } from 'node:test'
import type { ContainerCreateBody } from '../../src/docker/schemas.ts'
import type { FlockerHooks } from '../../src/hooks.ts'
import { applyMap, takeExpressions } from '../../src/routes/kinds/scheduled.ts'
import { startRequest } from '../../src/routes/variants/start-hook.ts'
import { createRequest } from '../../src/schedule/request.ts'

const DIR = new URL('../golden/', import.meta.url)

/** The example hooks the golden files name (the README shows the same ones). */
const mapHooks: Record<string, NonNullable<FlockerHooks['map']>> = {
  // Every container gets a label with its name and a log limit.
  'label-and-log-limit': (name, container) => {
    container.Labels = { ...(container.Labels as object), 'flocker.name': name ?? '' }
    const hostConfig = (container.HostConfig ?? {}) as Record<string, unknown>
    container.HostConfig = { ...hostConfig, LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } }
  },
  // The image's exposed ports become constraints on a labelled host, by returning a new body.
  'web-images-on-edge': (_name, container, image) => {
    const exposed = Object.keys(((image?.Config as Record<string, unknown>)?.ExposedPorts ?? {}) as object)
    if (!exposed.includes('80/tcp')) return
    return { ...container, Env: [...((container.Env as string[]) ?? []), 'constraint:role==edge'] }
  },
}

const startHooks: Record<string, NonNullable<FlockerHooks['start']>> = {
  none: () => undefined,
  // The original flocker's use: settings applied at start, from the container's labels.
  'dns-from-label': (_name, container, _image, body) => {
    const dns = ((container.Config as { Labels?: Record<string, string> }).Labels ?? {})['flocker.dns']
    return dns ? { ...body, Dns: [dns] } : body
  },
}

/** What a golden file feeds in (each kind uses some of it). */
interface GoldenInput {
  name?: string
  body: ContainerCreateBody & Record<string, unknown>
  image?: Record<string, unknown> | null
  query?: Record<string, string>
  container: Record<string, unknown>
  versionPrefix: string
}

interface Golden {
  description: string
  kind: 'create' | 'build' | 'start'
  hook?: string
  input: GoldenInput
  expected?: Record<string, unknown>
}

async function actual(golden: Golden): Promise<Record<string, unknown>> {
  const { input } = golden
  switch (golden.kind) {
    case 'create': {
      const mapped = golden.hook
        ? await applyMap(mapHooks[golden.hook]!, input.name, input.body, input.image ?? null)
        : input.body
      const { request, body } = createRequest(input.name, mapped)
      return {
        body,
        expressions: request.expressions.map((e) => e.text),
        dependencies: request.dependencies,
        volumes: request.volumes,
        resources: request.resources,
      }
    }
    case 'build': {
      const query = new URLSearchParams(input.query)
      const expressions = [...takeExpressions(query, 'buildargs'), ...takeExpressions(query, 'labels')]
      return { query: Object.fromEntries(query), expressions: expressions.map((e) => e.text) }
    }
    case 'start': {
      const hook = startHooks[golden.hook ?? 'none']!
      const rewritten = (await hook(input.name ?? '', input.container, null, input.body)) ?? input.body
      const { body, prefix } = startRequest(rewritten, input.versionPrefix)
      return {
        path: `${prefix}/containers/${input.name}/start`,
        body: body ? JSON.parse(new TextDecoder().decode(body)) : null,
        contentLength: body?.byteLength ?? 0,
      }
    }
  }
}

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
  const url = new URL(file, DIR)
  const golden = JSON.parse(readFileSync(url, 'utf8')) as Golden
  test(`golden ${file}: ${golden.description}`, async () => {
    const got = await actual(golden)
    if (process.env.UPDATE_GOLDEN) {
      writeFileSync(url, JSON.stringify({ ...golden, expected: got }, null, 2) + '\n')
      return
    }
    assert.deepEqual(got, golden.expected)
  })
}
