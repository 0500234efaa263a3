import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { unavailable } from '../../src/docker/errors.ts'
import { MemoryStore } from '../../src/store/memory-store.ts'
import { StoreNames } from '../../src/store/names.ts'
import { SharedPlacements } from '../../src/store/placements.ts'
import type { SharedStore, StoreAccess } from '../../src/store/shared-store.ts'

/** A replica's access to a store that several share; `down.value` makes every operation fail as Coordination does. */
function replica(store: SharedStore, name: string, down = { value: false }): StoreAccess & { ops: number } {
  const access = {
    replica: name,
    shared: true,
    ops: 0,
    run<T>(operation: (store: SharedStore) => Promise<T>): Promise<T> {
      access.ops++
      return down.value
        ? Promise.reject(unavailable(`flocker: the coordination store is unavailable`))
        : operation(store)
    },
  }
  return access
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10))

describe('name reservations in a shared store (StoreNames)', () => {
  test('a name held through one replica waits in the other until released, then goes', async () => {
    const store = new MemoryStore()
    const a = new StoreNames(replica(store, 'a'))
    const b = new StoreNames(replica(store, 'b'))
    const first = await a.reserve('web', { ttl: 60_000 })
    let got = false
    const second = b.reserve('web', { ttl: 60_000 }).then((lease) => {
      got = true
      return lease
    })
    await tick()
    assert.equal(got, false, 'the other replica waits while the name is held')
    await first.release()
    await (await second).release()
    assert.equal(got, true)
  })

  test('creates of one name in one replica queue in memory: one store claim at a time', async () => {
    const store = new MemoryStore()
    const access = replica(store, 'a')
    const names = new StoreNames(access)
    const order: number[] = []
    await Promise.all([0, 1, 2].map(async (i) => {
      const lease = await names.reserve('db', { ttl: 60_000 })
      order.push(i)
      await tick()
      await lease.release()
    }))
    assert.deepEqual(order, [0, 1, 2])
    assert.equal(access.ops, 6, 'one claim and one release each, no polling')
  })

  test('other names never wait', async () => {
    const names = new StoreNames(replica(new MemoryStore(), 'a'))
    const web = await names.reserve('web', { ttl: 60_000 })
    const db = await names.reserve('db', { ttl: 60_000 })
    await Promise.all([web.release(), db.release()])
  })

  test('the store down: the reservation fails closed (503) and the next create of the name is not stuck', async () => {
    const down = { value: true }
    const names = new StoreNames(replica(new MemoryStore(), 'a', down))
    await assert.rejects(names.reserve('web', { ttl: 60_000 }), { status: 503 })
    down.value = false
    await (await names.reserve('web', { ttl: 60_000 })).release()
  })

  test('a claim that landed but whose answer was lost (a deadline) is freed, not left to outlive the create', async () => {
    const store = new MemoryStore()
    let lose = true
    const late: StoreAccess = {
      replica: 'a',
      shared: true,
      run: async (operation) => {
        const result = await operation(store)
        if (lose) {
          lose = false
          throw unavailable('flocker: the coordination store answered too late')
        }
        return result
      },
    }
    await assert.rejects(new StoreNames(late).reserve('web', { ttl: 60_000 }), { status: 503 })
    await tick()
    // Bounded (a claim left behind would hold the name for good): not a timing assertion.
    const lease = await new StoreNames(replica(store, 'b')).reserve('web', {
      ttl: 60_000,
      signal: AbortSignal.timeout(5_000),
    })
    await lease.release()
  })

  test('a create waiting on another replica stops when its client leaves', async () => {
    const store = new MemoryStore()
    const held = await new StoreNames(replica(store, 'a')).reserve('web', { ttl: 60_000 })
    const names = new StoreNames(replica(store, 'b'))
    const left = new AbortController()
    const waiting = names.reserve('web', { ttl: 60_000, signal: left.signal })
    await tick()
    left.abort(new Error('client left'))
    await assert.rejects(waiting, /client left/)
    await held.release()
    await (await names.reserve('web', { ttl: 60_000 })).release()
  })

  test("a lease never released ends after its ttl (the store's lease covers a replica that died)", async () => {
    const store = new MemoryStore()
    await new StoreNames(replica(store, 'a')).reserve('web', { ttl: 20 })
    await new Promise((resolve) => setTimeout(resolve, 40))
    await (await new StoreNames(replica(store, 'b')).reserve('web', { ttl: 60_000 })).release()
  })
})

describe('placements shared through a store (SharedPlacements)', () => {
  const entry = (host: string) => ({
    host,
    image: 'busybox',
    labels: {},
    resources: { memory: 1, cpus: 0, hostPorts: [] },
  })

  test("each decision sees the other replicas' placements still on their way, not its own", async () => {
    const store = new MemoryStore()
    const a = new SharedPlacements(replica(store, 'a'))
    const b = new SharedPlacements(replica(store, 'b'))
    const done = await a.record(entry('node1'), true)
    assert.deepEqual(await a.decide({ lock: false, required: true }, (others) => Promise.resolve(others)), [])
    const seen = await b.decide({ lock: false, required: true }, (others) => Promise.resolve(others))
    assert.deepEqual(seen.map((o) => [o.host, o.replica]), [['node1', 'a']])
    done()
    await tick()
    assert.deepEqual(await b.decide({ lock: false, required: true }, (others) => Promise.resolve(others)), [])
  })

  test('decisions that take the lock never overlap, across replicas and within one', async () => {
    const store = new MemoryStore()
    const replicas = [new SharedPlacements(replica(store, 'a')), new SharedPlacements(replica(store, 'b'))]
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) =>
          replicas[i % 2]!.decide({ lock: true, required: true }, async () => {
            most = Math.max(most, ++inside)
            await tick()
            inside--
          }),
      ),
    )
    assert.equal(most, 1)
  })

  test('the store down: a decision that requires it fails (503); one that does not decides alone', async () => {
    const down = { value: true }
    const placements = new SharedPlacements(replica(new MemoryStore(), 'a', down))
    await assert.rejects(placements.decide({ lock: true, required: true }, () => Promise.resolve(1)), {
      status: 503,
    })
    assert.equal(
      await placements.decide({ lock: false, required: false }, (o) => Promise.resolve(o.length)),
      0,
    )
  })
})
