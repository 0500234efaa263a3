/**
 * Operating a flock, on each runtime against three real engines: `flocker check`, --version/--help,
 * a YAML config with the admin listener, request and hijack log lines in JSON, metrics and status,
 * a reload that fails and keeps the running config, per-host pull progress in a terminal, and Deno's
 * permission set (`deno run -P`).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import {
  commandFor,
  freePort,
  type RunningProcess,
  runtimes,
  spawnUntilListening,
} from '../support/flocker.ts'
import { run } from '../support/run.ts'
import type { StatusJson } from '../../src/admin/status.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DENO = `${ROOT}node_modules/.bin/deno`
const engines = enginesForFile(3)
const nodes = () => engines().engines.map((e) => `--node=${e.flag}`)

let work: string
before(() => {
  work = mkdtempSync(join(tmpdir(), 'operate-cli-'))
})
after(() => rmSync(work, { recursive: true, force: true }))

/** Polls `check` until it passes (a loaded machine takes its time). */
async function eventually<T>(check: () => Promise<T>, timeout = 30_000): Promise<T> {
  const end = Date.now() + timeout
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > end) throw error
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
  }
}

for (const runtime of runtimes()) {
  /** How a user runs flocker on this runtime; on Deno with deno.json's permission set (-P). */
  const command = (readable: string[] = []): [string, string[]] =>
    runtime === 'deno'
      ? [DENO, ['run', '-P', ...readable.map((file) => `--allow-read=${file}`), `${ROOT}mod.ts`]]
      : commandFor(runtime)
  const flockerExits = (args: string[], readable: string[] = []) => {
    const [cmd, base] = command(readable)
    return run(cmd, [...base, ...args], { cwd: ROOT, timeout: 90_000 })
  }

  describe(`operating a flock on ${runtime}`, () => {
    test('--version names the runtime; --help lists every flag with its variable', async () => {
      const version = await flockerExits(['--version'])
      assert.equal(version.code, 0, version.err)
      assert.match(version.out, new RegExp(`^flocker \\d+\\.\\d+\\.\\d+ \\(${runtime} \\d+\\.\\d+`))
      const help = await flockerExits(['--help'])
      assert.match(help.out, /--log-format FORMAT[\s\S]*env FLOCKER_LOG_FORMAT/)
      assert.match(help.out, /--admin ADDR[\s\S]*env FLOCKER_ADMIN/)
    })

    test('flocker check: a line per host as it answers, a table, exit 0; a dead host: exit 1', async () => {
      const good = await flockerExits(['check', ...nodes()])
      assert.equal(good.code, 0, good.out + good.err)
      for (const host of ['node1', 'node2', 'node3']) {
        assert.match(good.out, new RegExp(`^\\[\\d/3\\] ${host}: healthy \\(\\d+ ms\\)$`, 'm'))
        assert.match(
          good.out,
          new RegExp(
            `^${host}\\s+tcp://127\\.0\\.0\\.1:\\d+\\s+healthy\\s+20\\.10\\S*\\s+1\\.41\\s+\\d+/\\d+\\s+\\d+ ms$`,
            'm',
          ),
        )
      }
      assert.match(good.out, /^NAME\s+ADDRESS\s+HEALTH\s+ENGINE\s+API\s+CONTAINERS\s+LATENCY/m)
      assert.match(good.out, /all 3 hosts healthy/)
      const dead = `tcp://127.0.0.1:${await freePort()}`
      const bad = await flockerExits(['check', ...nodes(), `--node=gone=${dead}`])
      assert.equal(bad.code, 1)
      assert.match(bad.out, /^\[\d\/4\] gone: unhealthy: .*ECONNREFUSED/m)
      assert.match(bad.out, /^gone\s+tcp:\/\/127\.0\.0\.1:\d+\s+unhealthy\s+-\s+-\s+-/m)
      assert.match(bad.out, /1 of 4 hosts failed/)
    })

    test('flocker check of an invalid config: every problem by path, exit 1, no host contacted', async () => {
      const file = join(work, `bad-${runtime}.yaml`)
      writeFileSync(
        file,
        'nodes:\n  - { name: a, url: "ftp://x" }\n  - { name: b, url: "tcp://127.0.0.1:1", zone: eu }\nstratgy: spread\n',
      )
      const result = await flockerExits(['check', '--config', file], [file])
      assert.equal(result.code, 1)
      assert.match(result.err, new RegExp(`config file ${file} is not valid:`))
      assert.match(result.err, /^ {2}nodes\[0\]\.url: expected tcp:\/\/, unix:\/\/ or https:\/\/$/m)
      assert.match(result.err, /^ {2}nodes\[1\]\.zone: unknown key$/m)
      assert.match(result.err, /^ {2}stratgy: unknown key$/m)
      assert.doesNotMatch(result.out, /checking/)
    })

    describe('running from a YAML file with the admin listener and JSON request logs', () => {
      let flocker: RunningProcess
      let file: string
      let api: string
      let admin: string
      const configText = (extra = '') =>
        [
          'nodes:',
          ...engines().engines.map((e) => `  - ${e.flag}`),
          `admin: tcp://127.0.0.1:${admin.split(':').at(-1)}`,
          'log: { format: json, requests: true }',
          'health: { interval: 1000, timeout: 30000 }',
          extra,
        ].join('\n')
      before(async () => {
        file = join(work, `flock-${runtime}.yaml`)
        const apiPort = await freePort()
        api = `tcp://127.0.0.1:${apiPort}`
        admin = `http://127.0.0.1:${await freePort()}`
        writeFileSync(file, configText())
        const [cmd, base] = command([file])
        flocker = await spawnUntilListening(`flocker on ${runtime}`, cmd, [
          ...base,
          '-H',
          api,
          '--config',
          file,
          // The lookup by name below is the name index's (the list cache, when on, knows owners first).
          '--list-cache=off',
        ])
      })
      after(async () => {
        await flocker?.stop()
      })
      const logLines = () =>
        flocker.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))

      test('one JSON line per request and two per hijacked stream, with the request ID sent back', async () => {
        const ping = await fetch(`${api.replace('tcp:', 'http:')}/_ping`)
        const id = ping.headers.get('x-request-id')
        assert.match(id ?? '', /^[0-9a-f-]{36}$/)
        const out = await dockerOk(api, [
          'run',
          '--rm',
          '-i',
          '--name',
          `log-${runtime}`,
          ...NET,
          IMAGE,
          'cat',
        ], {
          input: 'twelve bytes',
        })
        assert.equal(out, 'twelve bytes')
        const lines = await eventually(() => {
          const lines = logLines()
          assert.ok(lines.some((l) => l.logger === 'flocker.hijack' && /closed/.test(l.message)))
          assert.ok(lines.some((l) => l.properties?.route === '/containers/{id}/wait'))
          return Promise.resolve(lines)
        })
        const pingLine = lines.find((l) => l.properties?.id === id)
        assert.equal(pingLine.logger, 'flocker.request')
        assert.equal(pingLine.properties.route, '/_ping')
        assert.equal(pingLine.properties.kind, 'system')
        assert.match(pingLine.properties.client, /^127\.0\.0\.1:\d+$/)
        // No token: the front door names the caller anonymous.
        assert.equal(pingLine.properties.identity, 'anonymous')
        const create = lines.find((l) => l.properties?.route === '/containers/create')
        assert.equal(create.properties.kind, 'scheduled')
        assert.equal(create.properties.status, 201)
        assert.ok(create.properties.bytesIn > 0 && create.properties.bytesOut > 0)
        assert.match(create.properties.hosts, /^node[123]$/)
        assert.equal(typeof create.properties.durationMs, 'number')
        const placement = lines.find((l) => l.logger === 'flocker.placement')
        assert.equal(placement.properties.host, create.properties.hosts)
        const closed = lines.find((l) => l.logger === 'flocker.hijack' && /closed/.test(l.message))
        assert.equal(closed.properties.bytesIn, 12)
        assert.ok(closed.properties.bytesOut >= 12)
        assert.equal(closed.properties.host, create.properties.hosts)
        assert.ok(lines.some((l) => l.logger === 'flocker.hijack' && /open/.test(l.message)))
      })

      test('/metrics and /status on the admin listener', async () => {
        const metrics = await (await fetch(`${admin}/metrics`)).text()
        assert.match(
          metrics,
          /^flocker_requests_total\{kind="scheduled",route="\/containers\/create",method="POST",status="201"\} 1$/m,
        )
        assert.match(metrics, /^flocker_hijacked_streams_total\{host="node\d"\} 1$/m)
        assert.match(metrics, /^flocker_hijacked_streams 0$/m)
        assert.match(metrics, /^flocker_bytes_total\{direction="in",stream="hijack"\} 12$/m)
        assert.match(
          metrics,
          /^flocker_placements_total\{strategy="spread",by="scheduler",outcome="placed",host="node\d"\} 1$/m,
        )
        assert.match(metrics, /^flocker_hosts\{status="healthy"\} 3$/m)
        const status = await (await fetch(`${admin}/status`)).json() as StatusJson
        assert.deepEqual(status.hosts.map((h) => h.name), ['node1', 'node2', 'node3'])
        for (const host of status.hosts) {
          assert.equal(host.status, 'healthy')
          assert.equal(host.engine!.apiVersion, '1.41')
          assert.equal(typeof host.cpus!.reserved, 'number')
          assert.ok(host.memory!.total > 0)
        }
        assert.equal(status.config!.state, 'loaded')
        assert.equal(status.recent.placements[0]!.name, `log-${runtime}`)
      })

      test('a lookup by name asks the one host that holds it once the name index knows every host', async () => {
        const named = `named-${runtime}`
        await dockerOk(api, ['create', '--name', named, ...NET, IMAGE, 'true'])
        try {
          const line = await eventually(async () => {
            const before = logLines().length
            await dockerOk(api, ['container', 'inspect', '--format', '{{.Name}}', named])
            const inspect = logLines().slice(before).find((l) =>
              l.properties?.route === '/containers/{id}/json'
            )
            assert.match(inspect?.properties.hosts ?? '', /^node\d$/)
            return inspect
          })
          assert.equal(line.properties.status, 200)
          // Any request about it by name goes straight there (no lookup first).
          const before = logLines().length
          await dockerOk(api, ['container', 'logs', named])
          const logs = await eventually(() => {
            const found = logLines().slice(before).find((l) =>
              l.properties?.route === '/containers/{id}/logs'
            )
            assert.ok(found)
            return Promise.resolve(found)
          })
          assert.equal(logs.properties.hosts, line.properties.hosts)
          const metrics = await (await fetch(`${admin}/metrics`)).text()
          assert.match(metrics, /^flocker_cache_lookups_total\{cache="names",result="hit"\} [1-9]\d*$/m)
        } finally {
          await dockerOk(api, ['rm', named])
        }
      })

      test('a reload that fails keeps the running config and says why, in the log and in /status', async () => {
        writeFileSync(file, configText('hostTimeout: soon'))
        const status = await eventually(async () => {
          const status = await (await fetch(`${admin}/status`)).json() as StatusJson
          assert.equal(status.config!.state, 'failed')
          return status
        })
        assert.deepEqual(status.config!.problems, ['hostTimeout: expected a positive whole number'])
        assert.equal(status.hosts.length, 3)
        assert.ok(logLines().some((l) => l.logger === 'flocker.config' && /not reloaded/.test(l.message)))
        assert.equal((await dockerOk(api, ['info', '--format', '{{len .SystemStatus}}'])).trim() !== '', true)
        writeFileSync(file, configText('hostTimeout: 4000'))
        await eventually(async () => {
          const status = await (await fetch(`${admin}/status`)).json() as StatusJson
          assert.equal(status.config!.state, 'loaded')
        })
      })

      test('docker pull in a terminal shows each host its own progress lines', async () => {
        const registry = engines().registry
        const ref = `${registry}/layered-${runtime}:1`
        const direct = engines().engines[0]!.url
        const maker = `layer-${runtime}`
        await dockerOk(direct, [
          'run',
          '--name',
          maker,
          ...NET,
          IMAGE,
          'sh',
          '-c',
          'head -c 2000000 /dev/urandom > /blob',
        ])
        await dockerOk(direct, ['commit', maker, ref])
        await dockerOk(direct, ['rm', maker])
        await dockerOk(direct, ['push', ref])
        await dockerOk(direct, ['rmi', ref])
        try {
          // `script` gives the CLI a terminal, so it draws per-layer progress as people see it.
          const pull = await run('script', ['-qec', `docker pull ${ref}`, '/dev/null'], {
            env: { DOCKER_HOST: api },
            timeout: 120_000,
          })
          assert.equal(pull.code, 0, pull.out)
          // deno-lint-ignore no-control-regex
          const screen = pull.out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '\n')
          for (const host of ['node1', 'node2', 'node3']) {
            assert.match(
              screen,
              new RegExp(`^${host}: [0-9a-f]{12}: (Downloading|Extracting|Pull complete)`, 'm'),
            )
          }
        } finally {
          for (const e of engines().engines) await docker(e.url, ['rmi', '-f', ref])
        }
      })
    })

    test('the admin listener refuses a non-loopback address', async () => {
      const result = await flockerExits([
        ...nodes(),
        '-H',
        `tcp://127.0.0.1:${await freePort()}`,
        '--admin',
        'tcp://0.0.0.0:9323',
      ])
      assert.equal(result.code, 1)
      assert.match(result.err, /admin listener tcp:\/\/0\.0\.0\.0:9323 must be on a loopback address/)
    })

    if (runtime === 'deno') {
      test('plain `deno run mod.ts` says in one line which flag to add', async () => {
        const result = await run(DENO, ['run', `${ROOT}mod.ts`, ...nodes()], { cwd: ROOT, timeout: 60_000 })
        assert.equal(result.code, 2)
        assert.equal(result.err.trim().split('\n').length, 1, result.err)
        assert.match(result.err, /add -P to use the permission set of deno\.json/)
      })
    }
  })
}
