import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createFlocker, type FlockerApp } from '../../src/app.ts'
import { createAdminApp } from '../../src/admin/app.ts'
import { isLoopback } from '../../src/admin/server.ts'
import type { StatusJson } from '../../src/admin/status.ts'
import type { RequestRecord } from '../../src/observe/observer.ts'
import { countBytes } from '../../src/observe/middleware.ts'
import { type FakeEngine, startFakeEngines } from '../support/fake-engine.ts'

describe('the admin app and the request observer, on fake engines', () => {
  let engines: FakeEngine[]
  let app: FlockerApp
  let admin: ReturnType<typeof createAdminApp>
  const seen: RequestRecord[] = []
  before(async () => {
    engines = await startFakeEngines(2)
    engines[0]!.containers.push({ Id: 'a'.repeat(64), Names: ['/web'], Created: 1, State: 'running' })
    app = createFlocker({
      hosts: engines.map((e) => `${e.name}=${e.url}`),
      observer: { request: (r) => seen.push(r) },
      // The record's hosts are those asked: a list from the cache asks none.
      listCache: false,
    })
    admin = createAdminApp(app, { version: '9.9.9', runtime: 'node test' })
    await app.checkHosts()
  })
  after(async () => {
    admin.close()
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  })

  test('each request gets an X-Request-Id and one record with route, kind, hosts, status and bytes', async () => {
    const response = await app.fetch(new Request('http://flocker/v1.41/containers/json?all=1'), {})
    const body = await response.text()
    const id = response.headers.get('x-request-id')
    assert.match(id ?? '', /^[0-9a-f-]{36}$/)
    const record = seen.find((r) => r.id === id)!
    assert.equal(record.route, '/containers/json')
    assert.equal(record.kind, 'merged')
    assert.deepEqual([...record.hosts].sort(), engines.map((e) => e.name).sort())
    assert.equal(record.status, 200)
    assert.equal(record.bytesOut, new TextEncoder().encode(body).byteLength)
    assert.equal(record.method, 'GET')
    assert.equal(record.path, '/v1.41/containers/json?all=1')
    const inspect = await app.fetch(new Request('http://flocker/v1.41/containers/web/json'), {})
    await inspect.body?.cancel()
    const routed = seen.find((r) => r.id === inspect.headers.get('x-request-id'))!
    assert.equal(routed.kind, 'routed')
    assert.ok(routed.hosts.includes(engines[0]!.name))
    // docker info and version ask every host: the record names them all.
    for (const path of ['/v1.41/info', '/v1.41/version']) {
      const answer = await app.fetch(new Request(`http://flocker${path}`), {})
      await answer.body?.cancel()
      const asked = seen.find((r) => r.id === answer.headers.get('x-request-id'))!
      assert.deepEqual([...asked.hosts].sort(), engines.map((e) => e.name).sort(), path)
    }
  })

  test('requests served at once each note their own hosts (audit lines, no observer)', async () => {
    engines[1]!.containers.push({ Id: 'b'.repeat(64), Names: ['/db'], Created: 1, State: 'running' })
    const lines: string[] = []
    const audited = createFlocker({
      hosts: engines.map((e) => `${e.name}=${e.url}`),
      frontDoor: { audit: (line) => lines.push(line) },
    })
    try {
      await audited.checkHosts()
      const names = ['web', 'db', 'web', 'db']
      const answers = await Promise.all(
        names.map((name) => audited.fetch(new Request(`http://f/v1.41/containers/${name}/top`), {})),
      )
      for (const answer of answers) assert.equal(answer.status, 200)
      await Promise.all(answers.map((answer) => answer.body?.cancel()))
      await new Promise((resolve) => setTimeout(resolve, 10)) // audit lines are written after the answer
      assert.equal(lines.length, 4, lines.join('\n'))
      // The lookups asked both hosts; each request went to the one holding its container.
      const went = lines.map((line) => /\bhost=(\S+)/.exec(line)?.[1]).sort()
      assert.deepEqual(went, [engines[0]!.name, engines[0]!.name, engines[1]!.name, engines[1]!.name].sort())
    } finally {
      await audited.close()
      engines[1]!.containers.pop()
    }
  })

  test('/metrics: Prometheus text with flocker_ names, per-host gauges read live', async () => {
    const response = await admin.fetch(new Request('http://admin/metrics'))
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    assert.match(
      text,
      /^flocker_requests_total\{kind="merged",route="\/containers\/json",method="GET",status="200"\} \d+$/m,
    )
    assert.match(
      text,
      /^flocker_request_duration_seconds_bucket\{le="0\.1",kind="merged",route="\/containers\/json"\} \d+$/m,
    )
    for (const engine of engines) {
      assert.match(
        text,
        new RegExp(
          `^flocker_host_healthy\\{host="${engine.name}",address="[^"]+",status="healthy"\\} 1$`,
          'm',
        ),
      )
      assert.match(text, new RegExp(`^flocker_host_consecutive_failures\\{host="${engine.name}"\\} 0$`, 'm'))
      assert.match(
        text,
        new RegExp(`^flocker_host_last_check_timestamp_seconds\\{host="${engine.name}"\\} \\d+`, 'm'),
      )
      assert.match(
        text,
        new RegExp(`^flocker_host_request_duration_seconds_count\\{host="${engine.name}"\\} \\d+$`, 'm'),
      )
    }
    assert.match(text, /^flocker_hosts\{status="healthy"\} 2$/m)
    assert.match(text, /^flocker_bytes_total\{direction="out",stream="http"\} \d+$/m)
    const names = new Set((await admin.metrics.list()).map((m) => m.name))
    for (const name of names) assert.match(name, /^flocker_/)
  })

  test('/status: each host with health and since when, engine, containers, CPU and memory, labels', async () => {
    const status = await (await admin.fetch(new Request('http://admin/status'))).json() as StatusJson
    assert.equal(status.flocker.version, '9.9.9')
    assert.equal(status.hosts.length, 2)
    const host = status.hosts[0]!
    assert.equal(host.name, engines[0]!.name)
    assert.equal(host.status, 'healthy')
    assert.ok(Date.parse(host.since) > 0)
    assert.ok(host.engine!.version)
    assert.equal(host.engine!.apiVersion, '1.41')
    assert.equal(typeof host.containers!.running, 'number')
    assert.equal(typeof host.cpus!.total, 'number')
    assert.ok('reserved' in host.cpus!) // the fake engine has no /images/json: reserved stays unknown (null)
    assert.equal(typeof host.memory!.total, 'number')
    assert.equal(host.labels.fake, engines[0]!.name)
    assert.equal(host.lastError, '')
    assert.equal(status.store, null, 'no store without --store')
  })

  test('a host that stops answering: health change counted, error in recent errors, gauge 0', async () => {
    engines[1]!.failWith = 500
    await app.checkHosts()
    const status = await (await admin.fetch(new Request('http://admin/status'))).json() as StatusJson
    assert.equal(status.hosts[1]!.status, 'unhealthy')
    assert.match(status.hosts[1]!.lastError, /fails/)
    assert.match(status.recent.errors[0]!.what, new RegExp(`host ${engines[1]!.name} unhealthy`))
    const text = await (await admin.fetch(new Request('http://admin/metrics'))).text()
    assert.match(text, new RegExp(`^flocker_host_healthy\\{host="${engines[1]!.name}",[^}]*\\} 0$`, 'm'))
    assert.match(
      text,
      new RegExp(`^flocker_host_health_changes_total\\{host="${engines[1]!.name}",to="unhealthy"\\} 1$`, 'm'),
    )
    engines[1]!.failWith = null
    await app.checkHosts()
  })

  test('web pages cannot read it: a foreign Host (DNS rebinding) or Origin is 403', async () => {
    const ask = async (headers: Record<string, string>) =>
      (await admin.fetch(new Request('http://admin/status', { headers }))).status
    assert.equal(await ask({ host: 'evil.example:9323' }), 403)
    assert.equal(await ask({ host: '127.0.0.1:9323', origin: 'https://evil.example' }), 403)
    assert.equal(await ask({ host: '127.0.0.1:9323', 'sec-fetch-site': 'cross-site' }), 403)
    assert.equal(await ask({ host: '127.0.0.1:9323', 'sec-fetch-site': 'same-origin' }), 200)
    assert.equal(await ask({ host: 'localhost:9323' }), 200)
  })

  test('the page is one self-contained document; the stream sends status as server-sent events', async () => {
    const page = await (await admin.fetch(new Request('http://admin/'))).text()
    assert.match(page, /<title>flocker<\/title>/)
    assert.doesNotMatch(page, /<(script|link|img)[^>]+(src|href)=/i)
    const stream = await admin.fetch(new Request('http://admin/status/stream'))
    assert.equal(stream.headers.get('content-type'), 'text/event-stream')
    const reader = stream.body!.getReader()
    const { value } = await reader.read()
    await reader.cancel()
    const event = new TextDecoder().decode(value)
    assert.match(event, /^data: \{"flocker":/)
  })
})

test('with --store: /status and /metrics show the store, down while it does not answer', async () => {
  const engines = await startFakeEngines(1)
  const app = createFlocker({
    hosts: engines.map((e) => `${e.name}=${e.url}`),
    store: 'redis://127.0.0.1:1/0',
  })
  const admin = createAdminApp(app)
  try {
    const create = await app.fetch(
      new Request('http://flocker/containers/create?name=web', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Image: 'busybox' }),
      }),
    )
    assert.equal(create.status, 503)
    assert.match(
      (await create.json() as { message: string }).message,
      /coordination store redis:\/\/127\.0\.0\.1:1\/0 is unavailable/,
    )
    const status = await (await admin.fetch(new Request('http://admin/status'))).json() as StatusJson
    assert.equal(status.store?.store, 'redis://127.0.0.1:1/0')
    assert.equal(status.store?.state, 'down')
    assert.ok((status.store?.operations ?? 0) >= 1)
    const text = await (await admin.fetch(new Request('http://admin/metrics'))).text()
    assert.match(text, /^flocker_store_up\{store="redis:\/\/127\.0\.0\.1:1\/0",replica="flocker-[^"]+"\} 0$/m)
    assert.match(text, /^flocker_store_operations_total\{store="redis:\/\/127\.0\.0\.1:1\/0"\} [1-9]/m)
  } finally {
    admin.close()
    await app.close()
    await Promise.all(engines.map((e) => e.stop()))
  }
})

test('countBytes passes every chunk, counts them, and reports a cancel as aborted', async () => {
  const source = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(3))
        c.enqueue(new Uint8Array(5))
        c.close()
      },
    })
  let result: [number, boolean] | undefined
  const all = await new Response(countBytes(source(), (n, aborted) => (result = [n, aborted]))).arrayBuffer()
  assert.equal(all.byteLength, 8)
  assert.deepEqual(result, [8, false])
  const reader = countBytes(source(), (n, aborted) => (result = [n, aborted])).getReader()
  await reader.read()
  await reader.cancel()
  assert.deepEqual(result, [3, true])
})

test('the admin listener is for loopback only until the front door protects it', () => {
  for (const host of ['127.0.0.1', '127.3.2.1', '::1', 'localhost']) assert.ok(isLoopback(host), host)
  for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) assert.ok(!isLoopback(host), host)
})
