import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { routes } from '../../src/routes/table.ts'
import { judge } from '../../src/front-door/body-rules.ts'
import { accessOf, groupOf } from '../../src/front-door/groups.ts'
import { enforce, grantFor, type Policy, PolicyDenied } from '../../src/front-door/policy.ts'
import { isUnder } from '../../src/front-door/host-paths.ts'
import { parseGoJson } from '../../src/front-door/go-json.ts'

const q = (text = '') => new URLSearchParams(text)
const route = (method: string, path: string) => ({ method, path })
const denial = (fn: () => void): string | undefined => {
  try {
    fn()
    return undefined
  } catch (error) {
    assert.ok(error instanceof PolicyDenied, String(error))
    assert.equal(error.status, 403)
    return error.rule
  }
}

describe('endpoint groups', () => {
  test('every route of the table has a group', () => {
    for (const r of routes) assert.doesNotThrow(() => groupOf(r), `${r.method} ${r.path}`)
  })
  test('archive, export, logs and top stand apart from containers', () => {
    assert.equal(groupOf(route('GET', '/containers/{id}/archive')), 'archive')
    assert.equal(groupOf(route('PUT', '/containers/{id}/archive')), 'archive')
    assert.equal(groupOf(route('GET', '/containers/{id}/export')), 'export')
    assert.equal(groupOf(route('POST', '/commit')), 'export')
    assert.equal(groupOf(route('GET', '/containers/{id}/logs')), 'logs')
    assert.equal(groupOf(route('GET', '/containers/{id}/top')), 'top')
    assert.equal(groupOf(route('POST', '/containers/{id}/exec')), 'exec')
    assert.equal(groupOf(route('POST', '/exec/{id}/start')), 'exec')
    assert.equal(groupOf(route('GET', '/containers/{id}/json')), 'containers')
    assert.equal(groupOf(route('GET', '/system/df')), 'system')
    assert.equal(groupOf(route('POST', '/session')), 'build')
  })
  test('GET and HEAD read; the websocket attach writes', () => {
    assert.equal(accessOf(route('GET', '/containers/json')), 'read')
    assert.equal(accessOf(route('POST', '/containers/{id}/wait')), 'write')
    assert.equal(accessOf(route('GET', '/containers/{id}/attach/ws')), 'write')
  })
})

const anon = { name: 'anonymous', via: 'anonymous' as const }
const ci = { name: 'ci', via: 'token' as const }

describe('grants', () => {
  const policy: Policy = {
    identities: {
      ci: { groups: { containers: 'write', images: 'read', logs: 'read' }, bindPaths: ['/srv/data'] },
      root: { admin: true },
    },
  }
  test('no policy: everything is allowed', () => {
    assert.equal(grantFor(undefined, anon), undefined)
    assert.equal(
      denial(() => enforce(undefined, { identity: anon, route: route('POST', '/build'), query: q() })),
      undefined,
    )
  })
  test('a policy denies what no grant allows, naming the group', () => {
    const grant = grantFor(policy, ci)
    const ask = (method: string, path: string) =>
      denial(() => enforce(grant, { identity: ci, route: route(method, path), query: q() }))
    assert.equal(ask('GET', '/containers/json'), undefined)
    assert.equal(ask('POST', '/containers/{id}/kill'), undefined)
    assert.equal(ask('GET', '/images/json'), undefined)
    assert.equal(ask('DELETE', '/images/{name*}'), 'group:images')
    assert.equal(ask('GET', '/containers/{id}/archive'), 'group:archive')
    assert.equal(ask('GET', '/containers/{id}/export'), 'group:export')
    assert.equal(ask('POST', '/containers/{id}/exec'), 'group:exec')
    assert.equal(ask('GET', '/_ping'), undefined)
    assert.equal(ask('GET', '/version'), undefined)
    assert.equal(ask('GET', '/events'), 'group:events')
  })
  test('anonymous callers get the anonymous grant, or nothing; unknown identities nothing', () => {
    const grant = grantFor(policy, anon)
    assert.equal(
      denial(() => enforce(grant, { identity: anon, route: route('GET', '/containers/json'), query: q() })),
      'group:containers',
    )
    assert.deepEqual(grantFor(policy, { name: 'mallory', via: 'token' }), {})
  })
  test('admin allows everything', () => {
    const admin = { name: 'root', via: 'tls' as const }
    const body = { HostConfig: { Privileged: true } }
    assert.equal(
      denial(() =>
        enforce(grantFor(policy, admin), {
          identity: admin,
          route: route('POST', '/containers/create'),
          query: q(),
          body,
        })
      ),
      undefined,
    )
  })
  test('body rules name the rule', () => {
    const grant = grantFor(policy, ci)
    const create = (json: string) =>
      denial(() =>
        enforce(grant, {
          identity: ci,
          route: route('POST', '/containers/create'),
          query: q(),
          body: parseGoJson(json),
        })
      )
    assert.equal(create('{"Image":"x"}'), undefined)
    assert.equal(create('{"HostConfig":{"privileged":true}}'), 'privileged')
    assert.equal(create('{"HostConfig":{"Binds":["/srv/data/a:/a","/:/host"]}}'), 'bindMounts')
    assert.equal(create('{"HostConfig":{"Binds":["/srv/data/a:/a","vol:/v"]}}'), undefined)
    assert.equal(create('{"HostConfig":{"Binds":["/srv/data/../../etc:/a"]}}'), 'bindMounts')
  })
})

describe('body rules', () => {
  const none = {}
  const names = (kind: Parameters<typeof judge>[0], body: unknown, query = q()) =>
    judge(kind, body, query, none).map((v) => `${v.rule} ${v.field}`)
  test('create: privileged, host namespaces, mounts, capabilities, devices, unconfined', () => {
    assert.deepEqual(
      names('create', {
        HostConfig: {
          Privileged: true,
          NetworkMode: 'host',
          PidMode: 'host',
          IpcMode: 'host',
          UTSMode: 'host',
          Binds: ['/:/host', 'named:/data', '/anon'],
          Mounts: [
            { Type: 'bind', Source: '/etc' },
            {
              Type: 'volume',
              Source: 'v',
              VolumeOptions: {
                DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } },
              },
            },
            { Type: 'tmpfs', Target: '/t' },
          ],
          CapAdd: ['SYS_ADMIN'],
          Capabilities: ['CHOWN', 'CAP_NET_ADMIN'],
          Devices: [{ PathOnHost: '/dev/sda' }],
          DeviceRequests: [{ Count: -1 }],
          SecurityOpt: ['seccomp=unconfined', 'no-new-privileges'],
        },
      }),
      [
        'privileged HostConfig.Privileged',
        'hostNamespaces HostConfig.NetworkMode',
        'hostNamespaces HostConfig.PidMode',
        'hostNamespaces HostConfig.IpcMode',
        'hostNamespaces HostConfig.UTSMode',
        'bindMounts HostConfig.Binds[0]',
        'bindMounts HostConfig.Mounts[0].Source',
        'bindMounts HostConfig.Mounts[1].VolumeOptions.DriverConfig.Options.device',
        'capabilities HostConfig.CapAdd',
        'capabilities HostConfig.Capabilities',
        'devices HostConfig.Devices',
        'devices HostConfig.DeviceRequests',
        'unconfined HostConfig.SecurityOpt',
      ],
    )
  })
  test('exec, update, start (API 1.23 HostConfig), volume create, import and build', () => {
    assert.deepEqual(names('exec', { Privileged: true, Cmd: ['sh'] }), ['privileged Privileged'])
    assert.deepEqual(names('update', { Devices: [{ PathOnHost: '/dev/mem' }] }), ['devices Devices'])
    assert.deepEqual(names('start', { Binds: ['/:/h'] }), ['bindMounts HostConfig.Binds[0]'])
    assert.deepEqual(names('volume-create', { DriverOpts: { o: 'bind', device: '/etc' } }), [
      'bindMounts DriverOpts.device',
    ])
    assert.deepEqual(names('image-create', null, q('fromSrc=http://10.0.0.1/x.tar')), [
      'remoteSources query fromSrc',
    ])
    assert.deepEqual(names('image-create', null, q('fromSrc=-')), [])
    assert.deepEqual(names('image-create', null, q('fromImage=busybox')), [])
    assert.deepEqual(names('build', null, q('remote=https://git.example/x.git')), [
      'remoteSources query remote',
    ])
  })
  test('allowances relax each rule', () => {
    const body = {
      HostConfig: { Privileged: true, CapAdd: ['net_admin'], Binds: ['/srv/x:/x'], NetworkMode: 'host' },
    }
    assert.deepEqual(
      judge('create', body, q(), {
        privileged: true,
        capabilities: ['NET_ADMIN'],
        bindPaths: ['/srv'],
        hostNamespaces: true,
      }),
      [],
    )
  })
  test('paths', () => {
    assert.ok(isUnder('/srv/data/x', ['/srv/data']))
    assert.ok(isUnder('/srv/data', ['/srv/data/']))
    assert.ok(!isUnder('/srv/database', ['/srv/data']))
    assert.ok(!isUnder('/srv/data/../../etc', ['/srv/data']))
  })
})
