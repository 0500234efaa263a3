import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Host } from '../../src/flock/host.ts'
import { HostReads } from '../../src/schedule/host-reads.ts'

/** A read that ends when told: the test decides the order of events. */
function pending<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: Error) => void
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  return { promise, resolve, reject }
}

const host = { name: 'h1' } as Host

describe('HostReads', () => {
  test("'any' joins the read in flight; a later one begins when none is", async () => {
    const reads = new HostReads()
    const first = pending<number>()
    let started = 0
    const a = await reads.read(host, 'containers', 'any', () => (started++, first.promise))
    const b = await reads.read(host, 'containers', 'any', () => (started++, Promise.resolve(2)))
    assert.equal(a, b)
    first.resolve(1)
    assert.equal(await a.value, 1)
    await new Promise((resolve) => setTimeout(resolve, 0))
    const c = await reads.read(host, 'containers', 'any', () => (started++, Promise.resolve(3)))
    assert.equal(await c.value, 3)
    assert.equal(started, 2)
  })

  test('after a mark: an older read in flight is not joined; every waiter shares the next one', async () => {
    const reads = new HostReads()
    const old = pending<string>()
    const older = await reads.read(host, 'containers', 'any', () => old.promise)
    const mark = reads.mark()
    let started = 0
    const next = () => (started++, Promise.resolve('new'))
    const waiting = [1, 2, 3].map(() => reads.read(host, 'containers', { after: mark }, next))
    await new Promise((resolve) => setTimeout(resolve, 0))
    assert.equal(started, 0, 'the next read waits for the one in flight')
    old.resolve('old')
    const got = await Promise.all(waiting)
    assert.equal(started, 1)
    assert.ok(got.every((read) => read === got[0]))
    assert.ok(got[0]!.seq > mark && older.seq <= mark)
    assert.equal(await got[0]!.value, 'new')
  })

  test('a finished read newer than the mark is reused; an older one is not; a failed one is dropped', async () => {
    const reads = new HostReads()
    const mark = reads.mark()
    const done = await reads.read(host, 'images', { after: mark }, () => Promise.resolve('a'))
    await done.value
    await new Promise((resolve) => setTimeout(resolve, 0))
    assert.equal(await reads.read(host, 'images', { after: mark }, () => Promise.resolve('b')), done)
    const later = reads.mark()
    const fresh = await reads.read(host, 'images', { after: later }, () => Promise.reject(new Error('down')))
    await assert.rejects(fresh.value, /down/)
    await new Promise((resolve) => setTimeout(resolve, 0))
    const again = await reads.read(host, 'images', { after: mark }, () => Promise.resolve('c'))
    assert.equal(await again.value, 'c')
  })
})
