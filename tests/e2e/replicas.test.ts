/**
 * Several flocker replicas, one per runtime, behind HAProxy (TCP mode), coordinated by a real store
 * (Debian's redis-server, then etcd), in front of three real engines started once for the file.
 * Redis: the 1,000 concurrent creates of 100 names, the placement race, the store stopped,
 * replicas killed; etcd: its own names race (150 over 15), the placement race and the store stopped.
 * Sizes: REPLICAS_CREATES / REPLICAS_NAMES (Redis), REPLICAS_PER_HOST (the placement race);
 * REPLICAS_STORES=redis (or etcd) runs one store's suite.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { DOCKER, docker, dockerOk, IMAGE } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { type RuntimeName, runtimes } from '../support/flocker.ts'
import {
  type Replicas,
  replicaServersAvailable,
  type RestartableServer,
  startEtcd,
  startRedis,
  startReplicas,
} from '../support/replicas.ts'
import { clearContainers } from './placement-support.ts'

const CREATES = Number(process.env.REPLICAS_CREATES ?? 1000)
const NAMES = Number(process.env.REPLICAS_NAMES ?? 100)
const PER_HOST = Number(process.env.REPLICAS_PER_HOST ?? 3)
/** The store lease in the tests (seconds): what a killed replica held is free after it. */
const LEASE = 3

/** Three replicas: one per runtime when all three are tested, else the tested ones in turn. */
function replicaRuntimes(): RuntimeName[] {
  const list = runtimes()
  return [0, 1, 2].map((i) => list[i % list.length]!)
}

const engines = enginesForFile(3)

const api = (host: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${host.replace('tcp://', 'http://')}/v1.41${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  })

const createBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Image: IMAGE, Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none', ...extra } })

/** Names of every container on every engine, asked of each engine directly. */
async function namesOnEngines(prefix: string): Promise<Map<string, string[]>> {
  const where = new Map<string, string[]>()
  for (const engine of engines().engines) {
    const out = await dockerOk(engine.url, [
      'ps',
      '-a',
      '--format',
      '{{.Names}}',
      '--filter',
      `name=${prefix}`,
    ])
    for (const name of out.split('\n').filter(Boolean)) {
      where.set(name, [...where.get(name) ?? [], engine.name])
    }
  }
  return where
}

/** The store operations a replica has made, from `docker info`. */
async function storeOperations(host: string): Promise<number> {
  const info = JSON.parse(await dockerOk(host, ['info', '--format', '{{json .SystemStatus}}'])) as string[][]
  return Number(info.find(([key]) => key?.includes('Operations'))?.[1] ?? NaN)
}

/** Retries `attempt` until it returns true, for at most `ms`; a bound, not a timing assertion. */
async function eventually(ms: number, attempt: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await attempt()) return true
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return false
}

function replicaSuite(kind: 'redis' | 'etcd', creates: number, names: number) {
  describe(`replicas sharing ${kind}`, {
    skip: !replicaServersAvailable() && 'redis-server, etcd, haproxy missing',
  }, () => {
    let store: RestartableServer
    let set: Replicas
    const prefix = `rp${kind[0]}`

    before(async () => {
      store = kind === 'redis' ? await startRedis() : await startEtcd()
      // etcd: a longer lease (its keep-alive is a stream that a busy machine may stall). Store
      // operations may take 30 s (not the default 5) before the store counts as down: on a loaded test
      // machine a replica starved of CPU reads the answer late; the down test stops the store outright.
      const url = kind === 'redis'
        ? `${store.url}/0?lease=${LEASE}&timeout=30`
        : `${store.url}?lease=10&timeout=30`
      set = await startReplicas(replicaRuntimes(), [
        ...engines().engines.map((e) => `--node=${e.flag}`),
        '--store',
        url,
        '--strategy',
        'binpack',
        // Engines on a loaded test machine may take longer than the default 5 s to list what they hold.
        '--host-timeout',
        '30000',
        // Stopped at the end: nothing to wait for.
        '--shutdown-grace',
        '500',
      ])
    })
    after(async () => {
      await set?.stop()
      await store?.down()
      await clearContainers(engines())
    })

    // Not about the store: once, with Redis.
    if (kind === 'redis') {
      test(
        'created through one replica: in the next ps through another; an exec created through one starts through another',
        async () => {
          const [a, b, c] = set.replicas as [
            typeof set.replicas[0],
            typeof set.replicas[0],
            typeof set.replicas[0],
          ]
          await dockerOk(a.dockerHost, [
            'run',
            '-d',
            '--name',
            `${prefix}-x`,
            '--network',
            'none',
            IMAGE,
            'sleep',
            '600',
          ])
          const listed = await dockerOk(b.dockerHost, ['ps', '--format', '{{.Names}}'])
          assert.ok(listed.split('\n').includes(`${prefix}-x`), listed)
          const created = await api(b.dockerHost, `/containers/${prefix}-x/exec`, {
            method: 'POST',
            body: JSON.stringify({ Cmd: ['echo', 'through-another'], AttachStdout: true, Tty: true }),
          })
          assert.equal(created.status, 201)
          const { Id } = await created.json() as { Id: string }
          const started = await api(c.dockerHost, `/exec/${Id}/start`, {
            method: 'POST',
            body: JSON.stringify({ Detach: false, Tty: true }),
          })
          assert.equal(started.status, 200)
          assert.match(await started.text(), /through-another/)
        },
      )
    }

    test(`${creates} concurrent creates of ${names} names through the load balancer: each name once`, async () => {
      const before = await Promise.all(set.replicas.map((r) => storeOperations(r.dockerHost)))
      const statuses = await Promise.all(Array.from({ length: creates }, async (_, i) => {
        const name = `${prefix}-n${i % names}`
        // Each create on a connection of its own, as `docker run` does (no kept-alive connection that
        // the far side closes just as the next request goes out).
        const send = () =>
          api(set.dockerHost, `/containers/create?name=${name}`, {
            method: 'POST',
            body: createBody(),
            headers: { connection: 'close' },
          })
        try {
          // A connection closed before any answer byte (HAProxy gave up reaching a replica starved of
          // CPU on the loaded machine) is sent once more, as a client would; a create of that name that
          // did go through makes the second one a 409, so the counts below still hold.
          const response = await send().catch(send)
          const body = await response.json() as { message?: string }
          return { status: response.status, name, message: body.message ?? '' }
        } catch (error) {
          const cause = (error as { cause?: unknown }).cause
          return { status: 0, name, message: `${String(error)}: ${String(cause)}` }
        }
      }))
      const after = await Promise.all(set.replicas.map((r) => storeOperations(r.dockerHost)))
      const created = statuses.filter((s) => s.status === 201)
      const refused = statuses.filter((s) => s.status === 409)
      const other = statuses.filter((s) => s.status !== 201 && s.status !== 409)
      assert.deepEqual(other.slice(0, 3), [], `every create is answered 201 or 409 (${other.length} not)`)
      assert.equal(created.length, names)
      assert.equal(new Set(created.map((s) => s.name)).size, names)
      for (const s of refused) {
        assert.match(s.message, new RegExp(`^Conflict\\. The container name "/${s.name}" is already in use`))
      }
      const where = await namesOnEngines(`${prefix}-n`)
      assert.equal(where.size, names)
      for (const [name, hosts] of where) assert.equal(hosts.length, 1, `${name} on ${hosts.join(', ')}`)
      const operations = after.reduce((sum, n, i) => sum + n - before[i]!, 0)
      console.log(
        `# figure: ${kind}: ${creates} creates of ${names} names: ${operations} store operations, ` +
          `${(operations / creates).toFixed(1)} per request, ${
            (operations / names).toFixed(1)
          } per container created`,
      )
    })

    test(`placement race: binpack with a memory reservation fitting ${PER_HOST} per host fills the hosts exactly`, async () => {
      await clearContainers(engines())
      const total = Number(
        (await dockerOk(engines().engines[0]!.url, ['info', '-f', '{{.MemTotal}}'])).trim(),
      )
      const memory = Math.floor(total / PER_HOST)
      const count = 3 * PER_HOST + 3
      const answers = await Promise.all(Array.from({ length: count }, async (_, i) => {
        const replica = set.replicas[i % 3]!
        const response = await api(replica.dockerHost, `/containers/create?name=${prefix}-p${i}`, {
          method: 'POST',
          body: createBody({ Memory: memory }),
        })
        return { status: response.status, message: (await response.json() as { message?: string }).message }
      }))
      const ok = answers.filter((a) => a.status === 201)
      assert.equal(ok.length, 3 * PER_HOST, JSON.stringify(answers.filter((a) => a.status !== 201)))
      for (const refused of answers.filter((a) => a.status !== 201)) {
        assert.equal(refused.status, 503)
        assert.match(refused.message ?? '', /no host can take/)
      }
      const where = await namesOnEngines(`${prefix}-p`)
      const perHost = new Map<string, number>()
      for (const hosts of where.values()) {
        for (const host of hosts) perHost.set(host, (perHost.get(host) ?? 0) + 1)
      }
      assert.deepEqual([...perHost.values()], [PER_HOST, PER_HOST, PER_HOST], JSON.stringify([...perHost]))
    })

    test('store stopped: named creates refused naming the store, the rest answered; back without restarts', async () => {
      const lb = set.dockerHost
      await dockerOk(lb, ['run', '-d', '--name', `${prefix}-s0`, '--network', 'none', IMAGE, 'sleep', '600'])
      await store.stop()
      try {
        const named = await docker(lb, ['create', '--name', `${prefix}-s1`, '--network', 'none', IMAGE])
        assert.notEqual(named.code, 0)
        assert.match(
          named.err,
          new RegExp(`coordination store ${kind}://127\\.0\\.0\\.1:${store.port}\\S* is unavailable`),
        )
        const unnamed = await dockerOk(lb, ['create', '--network', 'none', '--label', `${prefix}=s`, IMAGE])
        assert.match(unnamed, /^[0-9a-f]{64}/)
        assert.match(await dockerOk(lb, ['ps', '-a', '--format', '{{.Names}}']), new RegExp(`${prefix}-s0`))
        assert.match(await dockerOk(lb, ['inspect', '-f', '{{.State.Status}}', `${prefix}-s0`]), /running/)
        assert.match(
          await dockerOk(lb, ['exec', `${prefix}-s0`, 'echo', 'still'], { timeout: 30_000 }),
          /still/,
        )
        const shown = await eventually(
          15_000,
          async () => /Store: \S+ \(down/.test(await dockerOk(set.replicas[0]!.dockerHost, ['info'])),
        )
        assert.ok(shown, 'docker info shows the store down')
      } finally {
        await store.start()
      }
      for (const [i, replica] of set.replicas.entries()) {
        const back = await eventually(
          20_000,
          async () =>
            (await docker(replica.dockerHost, [
              'create',
              '--name',
              `${prefix}-s2-${i}`,
              '--network',
              'none',
              IMAGE,
            ]))
              .code === 0,
        )
        assert.ok(back, `replica ${i} (${replica.runtime}) creates named containers again`)
      }
    })

    if (kind === 'redis') {
      test('a replica killed during attach and exec streams: only its streams end; the LB sends new connections to the others', async () => {
        await clearContainers(engines())
        const lb = set.dockerHost
        await dockerOk(lb, ['run', '-d', '-i', '--name', `${prefix}-k`, '--network', 'none', IMAGE, 'cat'])
        const streams = set.replicas.flatMap((replica) => [
          stream(replica.dockerHost, ['attach', `${prefix}-k`]),
          stream(replica.dockerHost, ['exec', '-i', `${prefix}-k`, 'cat']),
        ])
        await Promise.all(streams.slice(2).filter((_, i) => i % 2 === 1).map((s) => s.echo('hello\n')))
        const victim = set.replicas[0]!
        victim.process.kill('SIGKILL')
        const [attach0, exec0] = streams as [Stream, Stream]
        assert.ok(await attach0.ended(), "the killed replica's attach ends")
        assert.ok(await exec0.ended(), "the killed replica's exec ends")
        assert.notEqual(exec0.process.exitCode, 0, 'the client sees an error')
        for (const s of streams.slice(2)) {
          assert.equal(s.process.exitCode, null, "other replicas' streams go on")
        }
        // The exec streams through the others still echo.
        await Promise.all(streams.slice(2).filter((_, i) => i % 2 === 1).map((s) => s.echo('again\n')))
        for (let i = 0; i < 6; i++) assert.match(await dockerOk(lb, ['ps', '--format', '{{.Names}}']), /-k/)
        for (const s of streams) s.process.kill('SIGKILL')
      })

      test('a replica killed mid-create: its name reservation holds the name no longer than the lease', async () => {
        const [, mid, last] = set.replicas as [
          typeof set.replicas[0],
          typeof set.replicas[0],
          typeof set.replicas[0],
        ]
        // The engine stops answering: the create through `mid` holds its reservation and waits.
        engines().freeze(3)
        try {
          const pending = api(mid.dockerHost, `/containers/create?name=${prefix}-m`, {
            method: 'POST',
            body: createBody(),
          })
          pending.catch(() => {})
          await new Promise((resolve) => setTimeout(resolve, 500))
          mid.process.kill('SIGKILL')
        } finally {
          engines().thaw(3)
        }
        // The create through another replica waits for the name while the dead replica's lease lasts,
        // then goes through (bounded: the lease and a margin, not a timing assertion).
        const next = await api(last.dockerHost, `/containers/create?name=${prefix}-m`, {
          method: 'POST',
          body: createBody(),
          signal: AbortSignal.timeout((LEASE + 30) * 1000),
        })
        assert.equal(next.status, 201, await next.text())
      })
    }
  })
}

interface Stream {
  readonly process: ChildProcess
  /** Writes a line and resolves once it came back. */
  echo(line: string): Promise<void>
  /** Resolves true once the client exited (bounded). */
  ended(): Promise<boolean>
}

/** A docker CLI attach/exec that stays open, stdin piped. */
function stream(host: string, args: string[]): Stream {
  const child = spawn(DOCKER, args, {
    env: { ...process.env, DOCKER_HOST: host },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (chunk) => (out += chunk))
  child.stdin!.on('error', () => {})
  return {
    process: child,
    echo: async (line) => {
      const before = out.length
      child.stdin!.write(line)
      const ok = await eventually(15_000, () => Promise.resolve(out.slice(before).includes(line.trim())))
      assert.ok(ok, `echo of ${line.trim()} through docker ${args.join(' ')} on ${host}: ${out}`)
    },
    ended: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(true)
        const timer = setTimeout(() => resolve(false), 15_000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve(true)
        })
      }),
  }
}

const STORES = (process.env.REPLICAS_STORES ?? 'redis,etcd').split(',')
if (STORES.includes('redis')) replicaSuite('redis', CREATES, NAMES)
if (STORES.includes('etcd')) replicaSuite('etcd', 150, 15)
