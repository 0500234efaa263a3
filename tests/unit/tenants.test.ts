import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { matchRef } from '../../src/flock/owned-match.ts'
import { TENANT_LABEL } from '../../src/front-door/tenants.ts'
import type { FlockerContext, Handler } from '../../src/routes/context.ts'
import type { DockerRequest } from '../../src/routes/request.ts'
import { volumesOf } from '../../src/tenants/create.ts'
import { tenantScoped } from '../../src/tenants/scope.ts'

const full = (prefix: string) => prefix.padEnd(64, '0')

describe("a reference among a tenant's own objects", () => {
  const mine = [
    { id: full('abc1'), names: ['/web'] },
    { id: full('abc2'), names: ['/db', '/web2/db'] },
    { id: full('f00d'), names: ['/abc1'] },
  ]
  test("dockerd's order: full ID, then exact name, then every ID with the prefix", () => {
    assert.deepEqual(matchRef(mine, full('abc1')), [{ id: full('abc1'), exact: true }])
    assert.deepEqual(matchRef(mine, 'db'), [{ id: full('abc2'), exact: true }])
    // A name wins over an ID prefix, as in dockerd.
    assert.deepEqual(matchRef(mine, 'abc1'), [{ id: full('f00d'), exact: true }])
    assert.deepEqual(matchRef(mine, 'abc'), [
      { id: full('abc1'), exact: false },
      { id: full('abc2'), exact: false },
    ])
    assert.deepEqual(matchRef(mine, 'f0'), [{ id: full('f00d'), exact: false }])
  })
  test('nothing else matches: other objects are simply not candidates', () => {
    assert.deepEqual(matchRef(mine, 'other'), [])
    assert.deepEqual(matchRef(mine, ''), [])
    assert.deepEqual(matchRef(mine, 'eb'), [])
    // Volumes have no ID prefixes.
    assert.deepEqual(matchRef([{ id: 'data', names: ['data'] }], 'da', false), [])
    assert.deepEqual(matchRef([{ id: 'data', names: ['data'] }], 'data', false), [{
      id: 'data',
      exact: true,
    }])
  })
})

describe('the named volumes of a create', () => {
  test('from Binds and Mounts, with their drivers; host paths are not volumes', () => {
    assert.deepEqual(
      volumesOf({
        VolumeDriver: 'local',
        Binds: ['data:/data:ro', '/srv:/srv', './rel:/x'],
        Mounts: [
          { Type: 'volume', Source: 'cache', Target: '/c', VolumeOptions: { Labels: { x: '1' } } },
          { Type: 'bind', Source: '/etc', Target: '/e' },
          { Type: 'volume', Target: '/anonymous' },
        ],
      }),
      [
        { Name: 'data', Driver: 'local' },
        { Name: 'cache', Driver: 'local', DriverOpts: undefined, Labels: { x: '1' } },
      ],
    )
    assert.deepEqual(volumesOf({}), [])
  })
})

describe("a tenant's routes", () => {
  const seen: string[] = []
  const echo: Handler = (_ctx, req) => {
    seen.push(req.upstreamPath('/x'))
    return Promise.resolve(Response.json([
      { Id: '1', Labels: { [TENANT_LABEL]: 't1' } },
      { Id: '2', Labels: { [TENANT_LABEL]: 't2' } },
      { Id: '3', Labels: null },
    ]))
  }
  const request = (search: string, tenant?: string) =>
    ({
      url: new URL(`http://flocker/containers/json${search}`),
      versionPrefix: '/v1.41',
      tenant,
      upstreamPath(path: string) {
        return `/v1.41${path}${search}`
      },
    }) as unknown as DockerRequest
  const ctx = { options: { tenantImages: 'shared' } } as FlockerContext

  test("a list gains the owner label filter and keeps only the tenant's rows", async () => {
    const handler = tenantScoped('GET', '/containers/json', echo)
    const rows = await (await handler(ctx, request('?all=1', 't1'), {}, '')).json() as { Id: string }[]
    assert.deepEqual(rows.map((row) => row.Id), ['1'])
    const sent = new URL(`http://x${seen.at(-1)}`)
    assert.deepEqual(JSON.parse(sent.searchParams.get('filters')!), { label: [`${TENANT_LABEL}=t1`] })
    assert.equal(sent.searchParams.get('all'), '1')
  })
  test("a client's own owner filter only narrows", async () => {
    const handler = tenantScoped('GET', '/containers/json', echo)
    const filters = encodeURIComponent(JSON.stringify({ label: [`${TENANT_LABEL}=t2`] }))
    await handler(ctx, request(`?filters=${filters}`, 't1'), {}, '')
    const sent = new URL(`http://x${seen.at(-1)}`)
    assert.deepEqual(JSON.parse(sent.searchParams.get('filters')!).label, [
      `${TENANT_LABEL}=t2`,
      `${TENANT_LABEL}=t1`,
    ])
  })
  test("without a tenant the handler is untouched; shared images are no tenant's to prune", async () => {
    const handler = tenantScoped('GET', '/containers/json', echo)
    const rows = await (await handler(ctx, request(''), {}, '')).json() as unknown[]
    assert.equal(rows.length, 3)
    // Images are shared (the default): a tenant's image list is the handler's own.
    const images = tenantScoped('GET', '/images/json', echo)
    assert.equal((await (await images(ctx, request('', 't1'), {}, '')).json() as unknown[]).length, 3)
    const pruned = await tenantScoped('POST', '/images/prune', echo)(ctx, request('', 't1'), {}, '')
    assert.deepEqual(await pruned.json(), { ImagesDeleted: null, SpaceReclaimed: 0 })
  })
})
