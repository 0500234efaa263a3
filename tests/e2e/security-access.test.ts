import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeCertificates } from '../support/certificates.ts'
import { docker, dockerOk, IMAGE, NET, removeContainers } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { eventually } from '../support/eventually.ts'
import { type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'

// Who may do what: TLS client certificates (the docker CLI's --tlsverify), tokens in the CLI's
// config.json (HttpHeaders), a policy of endpoint groups and body rules, checked with real engines.
const engines = enginesForFile(2, {}, { registry: false })
const PREFIX = 'acc-'
const sha = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`
const TOKENS = { viewer: 'viewer-token-0123456789', deployer: 'deployer-token-0123456789' }

const GRANTS = {
  viewer: {
    groups: {
      containers: 'read',
      images: 'read',
      networks: 'read',
      volumes: 'read',
      info: 'read',
      events: 'read',
      system: 'read',
    },
  },
  deployer: {
    groups: {
      containers: 'write',
      images: 'write',
      networks: 'write',
      volumes: 'write',
      logs: 'read',
      exec: 'write',
      info: 'read',
    },
    bindPaths: ['/tmp/door-allowed'],
  },
  alice: { groups: { containers: 'write', info: 'read' } },
} as const

let dir: string
let certs: Awaited<ReturnType<typeof makeCertificates>>
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'door-access-'))
  certs = await makeCertificates(join(dir, 'certs'), ['alice', 'mallory'])
  writeFileSync(
    join(dir, 'flocker.json'),
    JSON.stringify({
      tokens: Object.entries(TOKENS).map(([identity, token]) => ({ identity, sha256: sha(token) })),
      policy: { identities: GRANTS },
    }),
  )
  for (const [name, token] of Object.entries(TOKENS)) {
    mkdirSync(join(dir, `cli-${name}`))
    writeFileSync(
      join(dir, `cli-${name}`, 'config.json'),
      JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }),
    )
  }
  mkdirSync('/tmp/door-allowed', { recursive: true })
})
after(() => rmSync(dir, { recursive: true, force: true }))

/** Each endpoint group with one request that reads and one that writes (dummy names: 404 when allowed). */
const MATRIX: { group: string; access: 'read' | 'write'; method: string; path: string; body?: unknown }[] = [
  { group: 'containers', access: 'read', method: 'GET', path: '/containers/json' },
  { group: 'containers', access: 'write', method: 'POST', path: `/containers/${PREFIX}none/kill` },
  { group: 'logs', access: 'read', method: 'GET', path: `/containers/${PREFIX}none/logs?stdout=1` },
  { group: 'archive', access: 'read', method: 'GET', path: `/containers/${PREFIX}none/archive?path=/` },
  { group: 'export', access: 'read', method: 'GET', path: `/containers/${PREFIX}none/export` },
  { group: 'top', access: 'read', method: 'GET', path: `/containers/${PREFIX}none/top` },
  {
    group: 'exec',
    access: 'write',
    method: 'POST',
    path: `/containers/${PREFIX}none/exec`,
    body: { Cmd: ['true'] },
  },
  { group: 'images', access: 'read', method: 'GET', path: '/images/json' },
  { group: 'images', access: 'write', method: 'DELETE', path: `/images/${PREFIX}none` },
  { group: 'networks', access: 'read', method: 'GET', path: '/networks' },
  { group: 'networks', access: 'write', method: 'DELETE', path: `/networks/${PREFIX}none` },
  { group: 'volumes', access: 'read', method: 'GET', path: '/volumes' },
  { group: 'volumes', access: 'write', method: 'DELETE', path: `/volumes/${PREFIX}none` },
  { group: 'events', access: 'read', method: 'GET', path: `/events?since=1&until=2` },
  { group: 'info', access: 'read', method: 'GET', path: '/info' },
  { group: 'system', access: 'read', method: 'GET', path: '/system/df' },
  { group: 'build', access: 'write', method: 'POST', path: '/build?t=x' },
  { group: 'ping', access: 'read', method: 'GET', path: '/_ping' },
  { group: 'version', access: 'read', method: 'GET', path: '/version' },
]

function allowedFor(grant: { groups: Record<string, string> }, group: string, access: string): boolean {
  if (group === 'ping' || group === 'version') return true
  const granted = grant.groups[group]
  return granted === 'write' || (granted === 'read' && access === 'read')
}

for (const runtime of runtimes()) {
  describe(`tokens and policy on ${runtime}`, () => {
    let flocker: RunningFlocker
    before(async () => {
      flocker = await startFlocker(runtime, [
        ...engines().engines.map((e) => `--node=${e.flag}`),
        '--config',
        join(dir, 'flocker.json'),
      ])
    })
    after(async () => {
      for (const e of engines().engines) await removeContainers(e.url, PREFIX)
      await flocker?.stop()
    })
    const as = (name: keyof typeof TOKENS) => ({ env: { DOCKER_CONFIG: join(dir, `cli-${name}`) } })

    test('the docker CLI with a token in config.json works; without one it is 401', async () => {
      assert.match(await dockerOk(flocker.dockerHost, ['ps'], as('viewer')), /CONTAINER ID/)
      const anonymous = await docker(flocker.dockerHost, ['ps'], {
        env: { DOCKER_CONFIG: join(dir, 'none') },
      })
      assert.notEqual(anonymous.code, 0)
      assert.match(anonymous.err, /authentication required|401/)
      const wrong = await fetch(`http://127.0.0.1:${flocker.port}/containers/json`, {
        headers: { authorization: 'Bearer wrong' },
      })
      assert.equal(wrong.status, 401)
    })

    test('allow/deny matrix per endpoint group', async () => {
      for (const [name, grant] of [['viewer', GRANTS.viewer], ['deployer', GRANTS.deployer]] as const) {
        for (const row of MATRIX) {
          const response = await fetch(`http://127.0.0.1:${flocker.port}/v1.41${row.path}`, {
            method: row.method,
            headers: {
              authorization: `Bearer ${TOKENS[name]}`,
              ...(row.body ? { 'content-type': 'application/json' } : {}),
            },
            body: row.body ? JSON.stringify(row.body) : undefined,
            signal: AbortSignal.timeout(20_000),
          })
          await response.body?.cancel()
          const allowed = allowedFor(grant, row.group, row.access)
          assert.equal(
            response.status === 403,
            !allowed,
            `${name} ${row.method} ${row.path}: ${response.status}`,
          )
        }
      }
    })

    test('body rules: each refusal names its rule, and nothing is created', async () => {
      const cases: [string[], string][] = [
        [['--privileged'], 'privileged'],
        [['-v', '/:/host'], 'bindMounts'],
        [['--mount', 'type=bind,source=/etc,target=/x'], 'bindMounts'],
        [['--cap-add', 'SYS_ADMIN'], 'capabilities'],
        [['--device', '/dev/null:/dev/x'], 'devices'],
        [['--pid', 'host'], 'hostNamespaces'],
        [['--security-opt', 'seccomp=unconfined'], 'unconfined'],
      ]
      for (const [flags, rule] of cases) {
        const result = await docker(flocker.dockerHost, [
          'create',
          '--name',
          `${PREFIX}rule`,
          ...NET,
          ...flags,
          IMAGE,
        ], as('deployer'))
        assert.notEqual(result.code, 0, flags.join(' '))
        assert.match(result.err, new RegExp(`denied by policy: rule ${rule}`), flags.join(' '))
      }
      const allowed = await docker(flocker.dockerHost, [
        'create',
        '--name',
        `${PREFIX}bind`,
        ...NET,
        '-v',
        '/tmp/door-allowed:/data',
        IMAGE,
      ], as('deployer'))
      assert.equal(allowed.code, 0, allowed.err)
      const imported = await docker(
        flocker.dockerHost,
        ['import', 'http://127.0.0.1:9/x.tar'],
        as('deployer'),
      )
      assert.match(imported.err, /rule remoteSources/)
      const names = await Promise.all(
        engines().engines.map((e) => dockerOk(e.url, ['ps', '-a', '--format', '{{.Names}}'])),
      )
      assert.deepEqual(names.join('\n').split('\n').filter((n) => n.startsWith(PREFIX)), [`${PREFIX}bind`])
    })

    test('exec --privileged is refused by the same rule', async () => {
      await dockerOk(flocker.dockerHost, [
        'run',
        '-d',
        '--name',
        `${PREFIX}run`,
        ...NET,
        IMAGE,
        'sleep',
        '60',
      ], as('deployer'))
      const result = await docker(
        flocker.dockerHost,
        ['exec', '--privileged', `${PREFIX}run`, 'true'],
        as('deployer'),
      )
      assert.match(result.err, /rule privileged/)
      assert.equal(
        (await docker(flocker.dockerHost, ['exec', `${PREFIX}run`, 'true'], as('deployer'))).code,
        0,
      )
      await dockerOk(flocker.dockerHost, ['rm', '-f', `${PREFIX}run`], as('deployer'))
    })

    test('a read-only grant opens no cp, export, logs or exec', async () => {
      await dockerOk(flocker.dockerHost, ['create', '--name', `${PREFIX}ro`, ...NET, IMAGE], as('deployer'))
      for (
        const args of [['cp', `${PREFIX}ro:/etc/passwd`, '-'], ['export', `${PREFIX}ro`], [
          'logs',
          `${PREFIX}ro`,
        ], ['exec', `${PREFIX}ro`, 'true']]
      ) {
        const result = await docker(flocker.dockerHost, args, as('viewer'))
        assert.notEqual(result.code, 0, args.join(' '))
        assert.match(result.err, /denied by policy/, args.join(' '))
      }
    })

    test('every request has an audit line with identity, client, route, decision and host', async () => {
      // Audit lines are written in batches (within 100 ms): wait for the batch.
      await eventually(() => {
        const lines = flocker.output().split('\n').filter((l) => l.startsWith('audit '))
        assert.ok(
          lines.some((l) =>
            /identity=viewer client=127\.0\.0\.1 route="GET \/containers\/json" decision=allowed/.test(l)
          ),
          lines.slice(0, 5).join('\n'),
        )
        assert.ok(lines.some((l) => /identity=deployer .*decision=denied:privileged/.test(l)))
      })
    })
  })

  describe(`TLS listener with --tlsverify on ${runtime}`, () => {
    let flocker: RunningFlocker
    before(async () => {
      writeFileSync(
        join(dir, `tls-${runtime}.json`),
        JSON.stringify({ policy: { identities: { alice: GRANTS.alice } } }),
      )
      flocker = await startFlocker(runtime, [
        ...engines().engines.map((e) => `--node=${e.flag}`),
        '--tlsverify',
        '--tlscacert',
        certs.ca,
        '--tlscert',
        certs.cert,
        '--tlskey',
        certs.key,
        '--config',
        join(dir, `tls-${runtime}.json`),
      ])
    })
    after(async () => {
      await flocker?.stop()
    })
    const tls = (name: string) => ({
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir(name) },
    })

    test("docker --tlsverify works unchanged; the certificate's CN is the identity", async () => {
      const out = await dockerOk(
        flocker.dockerHost,
        ['run', '--rm', ...NET, IMAGE, 'echo', 'over tls'],
        tls('alice'),
      )
      assert.equal(out, 'over tls\n')
      const input = 'attach over a TLS listener\n'.repeat(100)
      assert.equal(
        await dockerOk(flocker.dockerHost, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
          ...tls('alice'),
          input,
        }),
        input,
      )
      assert.match(flocker.output(), /identity=alice .*route="POST \/containers\/create" decision=allowed/)
    })

    test('a certificate the policy does not name gets 403; no certificate, no connection', async () => {
      const mallory = await docker(flocker.dockerHost, ['ps'], tls('mallory'))
      assert.match(mallory.err, /denied by policy: mallory/)
      const none = await docker(flocker.dockerHost, ['ps'], {
        env: { DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '' },
      })
      assert.notEqual(none.code, 0)
    })
  })
}
