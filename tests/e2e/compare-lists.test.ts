import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import {
  api,
  both,
  clearBoth,
  comparedSides,
  errorShape,
  hostsOfContainer,
  rawUpgrade,
  type Side,
} from './compare-support.ts'

/** Issue 10: lists, filters, events and plugin questions, compared with a lone engine's answers. */
const sides = comparedSides()
const V = '/v1.41'
const SIDES = ['engine', 'flock'] as const
const hostOf = (side: Side) => sides()[side]
const filters = (value: unknown) =>
  encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))

describe('lists and filters: flocker against one engine', () => {
  test(
    'ps -l, ps -n and limit follow creation order across hosts created within one second',
    async () => {
      const names = ['cmp-o1', 'cmp-o2', 'cmp-o3', 'cmp-o4', 'cmp-o5', 'cmp-o6']
      // Raw creates, one after the other: several fall within one second, as a script's would.
      const body = { Image: IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }
      for (const side of SIDES) {
        for (const name of names) {
          const created = await api(hostOf(side), 'POST', `${V}/containers/create?name=${name}`, { body })
          assert.equal(created.status, 201, created.text)
        }
      }
      const flockHosts = new Set((await Promise.all(names.map((n) => hostsOfContainer(sides(), n)))).flat())
      assert.ok(flockHosts.size > 1, 'the creates spread over hosts')
      for (const args of [['-l'], ['-n', '3'], ['-a']]) {
        const listed = await Promise.all(
          SIDES.map((side) => dockerOk(hostOf(side), ['ps', ...args, '--format', '{{.Names}}'])),
        )
        assert.equal(listed[1], listed[0], `docker ps ${args.join(' ')}`)
      }
      const { engine, flock } = await both(sides(), 'GET', `${V}/containers/json?limit=2`)
      assert.deepEqual(
        flock.json().map((c: { Names: string[] }) => c.Names),
        engine.json().map((c: { Names: string[] }) => c.Names),
      )
      await clearBoth(sides())
    },
  )

  for (const list of ['/containers/json', '/images/json', '/networks', '/volumes']) {
    test(`malformed filters JSON on ${list} answers the engine's error`, async () => {
      const { engine, flock } = await both(sides(), 'GET', `${V}${list}?filters=${filters('{bad')}`)
      assert.deepEqual(errorShape(flock), errorShape(engine))
      assert.ok(engine.status >= 400)
    })
  }

  test(
    'a filter value given as a string is judged as the engine judges it, not split into characters',
    async () => {
      await dockerOk(sides().engine, ['create', '--name', 'web', ...NET, IMAGE, 'true'])
      await dockerOk(sides().flock, ['create', '--name', 'web', ...NET, IMAGE, 'true'])
      const { engine, flock } = await both(
        sides(),
        'GET',
        `${V}/containers/json?all=1&filters=${filters({ name: 'web' })}`,
      )
      assert.deepEqual(errorShape(flock), errorShape(engine))
      await clearBoth(sides())
    },
  )

  test('GET /plugins/privileges is answered as one engine answers it', async () => {
    const { engine, flock } = await both(sides(), 'GET', `${V}/plugins/privileges?remote=cmp-plugin:1`)
    assert.deepEqual(errorShape(flock), errorShape(engine))
  })

  test('name filters take the name forms flocker prints (name@host, host/name)', async () => {
    await dockerOk(sides().engine, ['create', '--name', 'cmp-named', ...NET, IMAGE, 'true'])
    await dockerOk(sides().flock, ['create', '--name', 'cmp-named', ...NET, IMAGE, 'true'])
    const [host] = await hostsOfContainer(sides(), 'cmp-named')
    const direct = await dockerOk(sides().engine, [
      'ps',
      '-a',
      '--filter',
      'name=cmp-named',
      '--format',
      '{{.Names}}',
    ])
    for (const form of [`cmp-named@${host}`, `${host}/cmp-named`]) {
      const flocked = await dockerOk(sides().flock, [
        'ps',
        '-a',
        '--filter',
        `name=${form}`,
        '--format',
        '{{.Names}}',
      ])
      assert.equal(flocked, direct, form)
    }
    await clearBoth(sides())
  })

  test('network ls shows the built-in networks once, as one engine does', async () => {
    const listed = await Promise.all(
      SIDES.map((side) => dockerOk(hostOf(side), ['network', 'ls', '--format', '{{.Name}}'])),
    )
    const sorted = (text: string) => text.split('\n').filter(Boolean).sort()
    assert.deepEqual(sorted(listed[1]!), sorted(listed[0]!))
  })

  test("a volume's list entry equals its create answer and its inspect", async () => {
    for (const side of SIDES) {
      const created = (await api(hostOf(side), 'POST', `${V}/volumes/create`, { body: { Name: 'cmp-vol' } }))
        .json()
      const inspected = (await api(hostOf(side), 'GET', `${V}/volumes/cmp-vol`)).json()
      const listed = (await api(hostOf(side), 'GET', `${V}/volumes`)).json().Volumes
        .find((v: { Name: string }) => v.Name === 'cmp-vol')
      assert.deepEqual(inspected, created, `${side}: inspect against create`)
      assert.deepEqual(listed, created, `${side}: list entry against create`)
      await api(hostOf(side), 'DELETE', `${V}/volumes/cmp-vol`)
    }
  })

  test("attach with stream=0&logs=1 returns the container's output", async () => {
    const outputs: string[] = []
    for (const side of SIDES) {
      await dockerOk(hostOf(side), ['run', '--name', 'cmp-attach', ...NET, IMAGE, 'echo', 'said before'])
      const answer = await rawUpgrade(
        hostOf(side),
        'POST',
        `${V}/containers/cmp-attach/attach?logs=1&stream=0&stdout=1`,
      )
      // The status line and the stream; header order and extra headers are the server's own.
      outputs.push(`${answer.split('\r\n')[0]} ${answer.slice(answer.indexOf('\r\n\r\n') + 4)}`)
    }
    assert.equal(outputs[1], outputs[0])
    assert.match(outputs[0]!, /said before/)
    await clearBoth(sides())
  })

  test(
    'links and volumes_from name containers created a moment before: the dependent lands beside them',
    async () => {
      const statuses: number[] = []
      for (const side of SIDES) {
        await dockerOk(hostOf(side), ['create', '--name', 'cmp-dep', '-v', '/data', ...NET, IMAGE, 'true'])
        const created = await api(hostOf(side), 'POST', `${V}/containers/create?name=cmp-dependent`, {
          body: {
            Image: IMAGE,
            Cmd: ['true'],
            HostConfig: { Links: ['cmp-dep:db'], VolumesFrom: ['cmp-dep'] },
          },
        })
        statuses.push(created.status)
      }
      assert.deepEqual(statuses, [201, 201])
      assert.deepEqual(
        await hostsOfContainer(sides(), 'cmp-dependent'),
        await hostsOfContainer(sides(), 'cmp-dep'),
      )
      await clearBoth(sides())
    },
  )

  // docker-py's LinkTest::test_remove_link: the name PARENT/ALIAS goes to the engine as it came.
  test('rm --link PARENT/ALIAS removes the link, as one engine does', async () => {
    const outcomes: unknown[] = []
    for (const side of SIDES) {
      await dockerOk(hostOf(side), ['create', '--name', 'cmp-linked', IMAGE, 'true'])
      await dockerOk(hostOf(side), [
        'create',
        '--name',
        'cmp-linker',
        '--link',
        'cmp-linked:db',
        IMAGE,
        'true',
      ])
      const removed = await docker(hostOf(side), ['rm', '--link', 'cmp-linker/db'])
      const links = await dockerOk(hostOf(side), [
        'inspect',
        '-f',
        '{{json .HostConfig.Links}}',
        'cmp-linker',
      ])
      const stillThere = await dockerOk(hostOf(side), ['inspect', '-f', '{{.Name}}', 'cmp-linked'])
      outcomes.push({
        code: removed.code,
        out: removed.out.trim(),
        links: links.trim(),
        linked: stillThere.trim(),
      })
    }
    assert.deepEqual(outcomes[1], outcomes[0])
    assert.deepEqual(outcomes[0], { code: 0, out: 'cmp-linker/db', links: 'null', linked: '/cmp-linked' })
    await clearBoth(sides())
  })

  test(
    "create --name equal to another container's full ID is accepted, as one engine accepts it",
    async () => {
      const statuses: number[] = []
      for (const side of SIDES) {
        const id = (await dockerOk(hostOf(side), ['create', ...NET, IMAGE, 'true'])).trim()
        const named = await docker(hostOf(side), ['create', '--name', id, ...NET, IMAGE, 'true'])
        statuses.push(named.code ?? -1)
      }
      assert.deepEqual(statuses, [0, 0])
      await clearBoth(sides())
    },
  )

  test(
    'rename to a name another host holds is refused: names are unique across the flock',
    async () => {
      const [n1, n2] = sides().flockEngines.engines
      await dockerOk(n1!.url, ['create', '--name', 'cmp-taken', ...NET, IMAGE, 'true'])
      await dockerOk(n2!.url, ['create', '--name', 'cmp-renamed', ...NET, IMAGE, 'true'])
      await dockerOk(sides().engine, ['create', '--name', 'cmp-taken', ...NET, IMAGE, 'true'])
      await dockerOk(sides().engine, ['create', '--name', 'cmp-renamed', ...NET, IMAGE, 'true'])
      const direct = await docker(sides().engine, ['rename', 'cmp-renamed', 'cmp-taken'])
      const flocked = await docker(sides().flock, ['rename', 'cmp-renamed', 'cmp-taken'])
      assert.equal(flocked.code, direct.code)
      assert.match(flocked.err, /already in use/)
      await clearBoth(sides())
    },
  )

  // Last: before the fix, this left an events stream retrying against every host.
  test(
    'events with a filter or time the engines refuse answer their error, not a stream',
    async () => {
      for (const query of [`filters=${filters('{bad')}`, 'since=abc']) {
        const { engine, flock } = await both(sides(), 'GET', `${V}/events?${query}`)
        assert.deepEqual(errorShape(flock), errorShape(engine), query)
        assert.ok(engine.status >= 400)
      }
    },
  )
})
