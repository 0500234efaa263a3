import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parseArgs, usage, UsageError } from '../../src/cli.ts'
import { resolveSettings } from '../../src/cli/resolve.ts'
import { SETTINGS } from '../../src/settings.ts'
import { checkTable } from '../../src/cli/check.ts'
import { ConfigError, configValue, parseConfig } from '../../src/config.ts'
import { resolveOptions } from '../../src/options.ts'
import { Host } from '../../src/flock/host.ts'
import type { Platform, RuntimeAdapter } from '../../src/runtime/types.ts'

const platformWith = (env: Record<string, string> = {}) => ({ env: (name: string) => env[name] }) as Platform

test('parseArgs: repeatable flags, inline values, numbers, the check command', () => {
  const args = parseArgs([
    '-H',
    'unix:///a.sock',
    '--host=tcp://127.0.0.1:1',
    '--node',
    'a=tcp://x:1',
    '--node=b=y:2',
    '--health-interval',
    '250',
    '--health-threshold=3',
    '--require-names',
  ])
  assert.equal(args.command, 'serve')
  assert.deepEqual(args.values.host, ['unix:///a.sock', 'tcp://127.0.0.1:1'])
  assert.deepEqual(args.values.node, ['a=tcp://x:1', 'b=y:2'])
  assert.equal(args.values['health-interval'], 250)
  assert.equal(args.values['health-threshold'], 3)
  assert.equal(args.values['require-names'], true)
  assert.equal(parseArgs(['check', '--config', 'f.yaml']).command, 'check')
  assert.equal(parseArgs(['-v']).version, true)
  assert.equal(parseArgs(['--help']).help, true)
})

test('parseArgs: every mistake is a usage error in flocker words', () => {
  const refused = (argv: string[], message: RegExp) =>
    assert.throws(
      () => parseArgs(argv),
      (error) => error instanceof UsageError && message.test(error.message),
    )
  refused(['--nope'], /^unknown flag: --nope$/)
  refused(['--node'], /^--node needs a value$/)
  refused(['-H'], /^--host needs a value$/)
  refused(['--require-names=yes'], /^--require-names takes no value$/)
  refused(['--names', 'odd'], /--names "odd": expected plain, at or slash/)
  refused(['--health-interval', 'soon'], /--health-interval "soon": expected a positive whole number/)
  refused(
    ['--node', 'ftp://x'],
    /--node "ftp:\/\/x": expected \[NAME=\]URL with tcp:\/\/, unix:\/\/ or https:\/\//,
  )
  refused(['-H', 'tcp://127.0.0.1'], /expected tcp:\/\/IP:PORT or unix:\/\/\/PATH/)
  refused(['--log-format', 'xml'], /expected text or json/)
  refused(['launch'], /unknown command: launch/)
})

test('--help lists every flag with its environment variable', () => {
  const text = usage()
  for (const setting of SETTINGS) {
    assert.match(text, new RegExp(`--${setting.flag}\\b`))
    assert.match(text, new RegExp(`env ${setting.env}\\b`))
  }
  assert.match(text, /flocker check/)
})

test('a flag wins over its variable, which wins over the config file; nodes add up', async () => {
  const config = await parseConfig(
    'f.yaml',
    'strategy: random\nnames: at\nhealth: { interval: 700, timeout: 900 }\nnodes: [c=tcp://z:3]\n',
  )
  const platform = platformWith({
    FLOCKER_STRATEGY: 'binpack',
    FLOCKER_NAMES: 'slash',
    FLOCKER_NODES: 'b=tcp://y:2',
  })
  const settings = resolveSettings(
    parseArgs(['--names', 'plain', '--node', 'a=tcp://x:1']).values,
    platform,
    config,
  )
  assert.equal(settings.names, 'plain')
  assert.equal(settings.strategy, 'binpack')
  assert.equal(settings['health-interval'], 700)
  assert.equal(settings['health-timeout'], 900)
  assert.deepEqual(settings.node, ['a=tcp://x:1', 'b=tcp://y:2', 'c=tcp://z:3'])
  assert.throws(
    () => resolveSettings({}, platformWith({ FLOCKER_LOG_REQUESTS: '1', FLOCKER_HOST_TIMEOUT: '-4' })),
    /FLOCKER_HOST_TIMEOUT "-4": expected a positive whole number/,
  )
  assert.equal(resolveSettings({}, platformWith({ FLOCKER_LOG_REQUESTS: 'false' }))['log-requests'], false)
})

test('the list cache is on by default; --list-cache=off, FLOCKER_LIST_CACHE=off or listCache: false turn it off', () => {
  assert.equal(resolveOptions({}).listCache, true)
  assert.equal(resolveOptions({ listCache: false }).listCache, false)
  assert.equal(resolveSettings({}, platformWith())['list-cache'], undefined, 'unset: the default')
  assert.equal(resolveSettings(parseArgs(['--list-cache=off']).values, platformWith())['list-cache'], false)
  assert.equal(resolveSettings({}, platformWith({ FLOCKER_LIST_CACHE: 'off' }))['list-cache'], false)
})

test('every setting with a flag can be set in the file, in JSON, YAML and TOML alike', async () => {
  const json = {
    listen: ['tcp://127.0.0.1:2375', 'unix:///run/flocker.sock'],
    nodes: ['n1=tcp://10.0.0.1:2375', {
      name: 'n2',
      url: 'https://10.0.0.2:2376',
      labels: { zone: 'b' },
      certPath: '/c',
    }],
    tlsCerts: '/etc/flocker/certs',
    names: 'at',
    requireNames: true,
    strategy: 'binpack',
    health: { interval: 1000, failureThreshold: 2, timeout: 500, silenceLimit: 9000, factsInterval: 30000 },
    hostTimeout: 4000,
    listCache: true,
    shutdownGrace: 3000,
    store: 'redis://127.0.0.1:6379/0',
    admin: 'tcp://127.0.0.1:9323',
    log: { level: 'debug', format: 'json', requests: true },
    tls: true,
    tlsverify: true,
    tlscacert: '/ca.pem',
    tlscert: '/cert.pem',
    tlskey: '/key.pem',
    allowInsecureTcp: false,
    group: 'docker',
    tenantImages: 'per-tenant',
    allowedHosts: ['flock.example'],
    allowedOrigins: ['https://dash.example'],
    tokens: [{ identity: 'ci', sha256: `sha256:${'a'.repeat(64)}` }],
    policy: { identities: { ci: { groups: { containers: 'read' } } } },
    limits: { connections: 10 },
  }
  const keys = SETTINGS.filter((s) => s.key).map((s) => s.key!)
  const flat = JSON.stringify(json)
  for (const key of keys) assert.ok(flat.includes(`"${key.split('.').at(-1)}"`), `${key} is in the sample`)
  const yaml = `
listen: [tcp://127.0.0.1:2375, unix:///run/flocker.sock]
nodes:
  - n1=tcp://10.0.0.1:2375
  - { name: n2, url: "https://10.0.0.2:2376", labels: { zone: b }, certPath: /c }
tlsCerts: /etc/flocker/certs
names: at
requireNames: true
strategy: binpack
health: { interval: 1000, failureThreshold: 2, timeout: 500, silenceLimit: 9000, factsInterval: 30000 }
hostTimeout: 4000
listCache: true
shutdownGrace: 3000
store: redis://127.0.0.1:6379/0
admin: tcp://127.0.0.1:9323
log: { level: debug, format: json, requests: true }
tls: true
tlsverify: true
tlscacert: /ca.pem
tlscert: /cert.pem
tlskey: /key.pem
allowInsecureTcp: false
group: docker
tenantImages: per-tenant
allowedHosts: [flock.example]
allowedOrigins: ["https://dash.example"]
tokens: [{ identity: ci, sha256: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }]
policy: { identities: { ci: { groups: { containers: read } } } }
limits: { connections: 10 }
`
  const toml = `
listen = ["tcp://127.0.0.1:2375", "unix:///run/flocker.sock"]
nodes = ["n1=tcp://10.0.0.1:2375", { name = "n2", url = "https://10.0.0.2:2376", labels = { zone = "b" }, certPath = "/c" }]
tlsCerts = "/etc/flocker/certs"
names = "at"
requireNames = true
strategy = "binpack"
hostTimeout = 4000
listCache = true
shutdownGrace = 3000
store = "redis://127.0.0.1:6379/0"
admin = "tcp://127.0.0.1:9323"
tls = true
tlsverify = true
tlscacert = "/ca.pem"
tlscert = "/cert.pem"
tlskey = "/key.pem"
allowInsecureTcp = false
group = "docker"
tenantImages = "per-tenant"
allowedHosts = ["flock.example"]
allowedOrigins = ["https://dash.example"]
tokens = [{ identity = "ci", sha256 = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }]
policy = { identities = { ci = { groups = { containers = "read" } } } }
limits = { connections = 10 }
[health]
interval = 1000
failureThreshold = 2
timeout = 500
silenceLimit = 9000
factsInterval = 30000
[log]
level = "debug"
format = "json"
requests = true
`
  assert.deepEqual(await parseConfig('f.json', JSON.stringify(json)), json)
  assert.deepEqual(JSON.parse(JSON.stringify(await parseConfig('f.yaml', yaml))), json)
  assert.deepEqual(JSON.parse(JSON.stringify(await parseConfig('f.toml', toml))), json)
  const settings = resolveSettings({}, platformWith(), await parseConfig('f.yml', yaml))
  assert.equal(settings['log-format'], 'json')
  assert.equal(settings['health-threshold'], 2)
  assert.equal(settings.admin, 'tcp://127.0.0.1:9323')
  assert.equal(settings['tenant-images'], 'per-tenant')
})

test('a bad config file: every problem listed by path, unknown keys refused', async () => {
  const yaml = `
nodes:
  - n1=tcp://10.0.0.1:2375
  - { name: n2, url: "tcp://10.0.0.2:2375", lables: { zone: b } }
  - { name: n3, url: "ftp://10.0.0.3" }
  - 42
strategy: fastest
health: { interval: -1, retries: 3 }
logRequests: true
`
  await assert.rejects(parseConfig('flock.yaml', yaml), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems, [
      'nodes[1].lables: unknown key',
      'nodes[2].url: expected tcp://, unix:// or https://',
      'nodes[3]: expected NAME=URL or { name, url, labels, certPath, tlsVerify }',
      'strategy: expected spread, binpack or random',
      'health.interval: expected a positive whole number',
      'health.retries: unknown key',
      'logRequests: unknown key',
    ])
    assert.match(error.message, /^config file flock.yaml: nodes\[1\]\.lables: unknown key; /)
    return true
  })
  await assert.rejects(parseConfig('f.toml', 'nodes = ['), /f.toml: not valid TOML/)
  await assert.rejects(parseConfig('f.json', '{"nodes": '), /f.json: not valid JSON/)
  await assert.rejects(parseConfig('f.ini', ''), /unknown format .ini: use .json, .yaml, .yml or .toml/)
  await assert.rejects(parseConfig('f.yaml', '- a\n- b\n'), /\(top\): expected a table of settings/)
})

test('the check table shows health, engine and API version, containers and latency', () => {
  const adapter = {} as RuntimeAdapter
  const up = new Host('node1', { kind: 'tcp', host: '127.0.0.1', port: 1 }, {}, adapter)
  up.facts = {
    serverVersion: '20.10.24',
    apiVersion: '1.41',
    containers: 5,
    containersRunning: 2,
  } as unknown as Host['facts']
  const down = new Host('node2', { kind: 'unix', path: '/x.sock' }, {}, adapter)
  down.lastError = 'connect ECONNREFUSED'
  const table = checkTable([{ host: up, ok: true, latencyMs: 12.4 }, { host: down, ok: false, latencyMs: 3 }])
  const [head, one, two] = table.split('\n')
  assert.match(head!, /^NAME\s+ADDRESS\s+HEALTH\s+ENGINE\s+API\s+CONTAINERS\s+LATENCY\s+ERROR$/)
  assert.match(one!, /^node1\s+tcp:\/\/127\.0\.0\.1:1\s+healthy\s+20\.10\.24\s+1\.41\s+2\/5\s+12 ms$/)
  assert.match(two!, /^node2\s+unix:\/\/\/x\.sock\s+unhealthy\s+-\s+-\s+-\s+3 ms\s+connect ECONNREFUSED$/)
})

test("the README's annotated config file is valid and sets every key; its flag table names every flag", async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('### The config file'))
  const yaml = section.slice(
    section.indexOf('```yaml\n') + 8,
    section.indexOf('```\n', section.indexOf('```yaml')),
  )
  const config = await parseConfig('flock.yaml', yaml)
  for (const setting of SETTINGS.filter((s) => s.key)) {
    assert.notEqual(configValue(config, setting.key!), undefined, `${setting.key} is in the README's file`)
  }
  const rows = readme.split('\n').filter((line) => line.startsWith('| `'))
  for (const setting of SETTINGS) {
    const row = rows.find((line) => new RegExp(`^\\| \`(-\\w, )?--${setting.flag}\\b`).test(line))
    assert.ok(
      row?.includes(`| \`${setting.env}\``),
      `the README's table gives --${setting.flag} with ${setting.env}`,
    )
  }
})
