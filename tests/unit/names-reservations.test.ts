import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { LocalNameReservations } from '../../src/names/reservations.ts'

describe('name reservations in one process', () => {
  test('one holder per name at a time; the next gets it when the first releases', async () => {
    const names = new LocalNameReservations()
    const order: string[] = []
    const first = await names.reserve('web', { ttl: 60_000 })
    const second = names.reserve('web', { ttl: 60_000 }).then((lease) => {
      order.push('second')
      return lease
    })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(order.length, 0, 'the second create waits while the first holds the name')
    order.push('first released')
    await first.release()
    await (await second).release()
    assert.deepEqual(order, ['first released', 'second'])
    assert.equal(names.size, 0)
  })

  test('other names never wait', async () => {
    const names = new LocalNameReservations()
    const web = await names.reserve('web', { ttl: 60_000 })
    const db = await names.reserve('db', { ttl: 60_000 })
    assert.equal(names.size, 2)
    await Promise.all([web.release(), db.release()])
  })

  test('a lease that is never released expires after its ttl', async () => {
    const names = new LocalNameReservations()
    await names.reserve('web', { ttl: 20 })
    await new Promise((resolve) => setTimeout(resolve, 40)) // the lease's own timer does not hold the process
    const next = await names.reserve('web', { ttl: 60_000 })
    await next.release()
  })

  test('a waiting create whose client left stops waiting', async () => {
    const names = new LocalNameReservations()
    const held = await names.reserve('web', { ttl: 60_000 })
    const left = new AbortController()
    const waiting = names.reserve('web', { ttl: 60_000, signal: left.signal })
    left.abort(new Error('client left'))
    await assert.rejects(waiting, /client left/)
    await held.release()
    assert.equal(names.size, 0)
  })

  test('a release after the lease expired does not free a later holder', async () => {
    const names = new LocalNameReservations()
    const stale = await names.reserve('web', { ttl: 10 })
    await new Promise((resolve) => setTimeout(resolve, 30))
    const current = await names.reserve('web', { ttl: 60_000 })
    await stale.release()
    assert.equal(names.size, 1)
    await current.release()
  })
})

describe('name reservations: waiting leaves nothing behind', () => {
  test("a client's signal holds no abort listener once its waits are over", async () => {
    const { EventEmitter } = await import('node:events')
    const names = new LocalNameReservations()
    const client = new AbortController()
    const held = await Promise.all(['a', 'b', 'c'].map((name) => names.reserve(name, { ttl: 60_000 })))
    const waits = ['a', 'b', 'c'].map((name) => names.reserve(name, { ttl: 60_000, signal: client.signal }))
    await new Promise((resolve) => setImmediate(resolve))
    for (const lease of held) await lease.release()
    for (const lease of await Promise.all(waits)) await lease.release()
    assert.equal(EventEmitter.getEventListeners(client.signal, 'abort').length, 0)
  })
})
