import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Host } from '../../src/flock/host.ts'
import { OwnerCache } from '../../src/flock/owners.ts'

describe('the owner cache', () => {
  const hostA = { name: 'a' } as Host
  const hostB = { name: 'b' } as Host

  test('full IDs and unique 12+ digit prefixes only; forgetting works by prefix and by host', () => {
    const cache = new OwnerCache()
    cache.remember('ab'.repeat(32), hostA)
    cache.remember('ac'.repeat(32), hostB)
    assert.equal(cache.lookup('ab'.repeat(32))?.host, hostA)
    assert.equal(cache.lookup('ab'.repeat(6))?.host, hostA)
    assert.equal(cache.lookup('ab'), undefined, 'short prefixes and names always probe the flock')
    assert.equal(cache.lookup('web'), undefined)
    cache.forget('ab'.repeat(6))
    assert.equal(cache.lookup('ab'.repeat(32)), undefined)
    cache.forgetHost(hostB)
    assert.equal(cache.size, 0)
  })
})

describe('the owner cache is bounded', () => {
  test('past its size the least recently used go; a lookup keeps an entry fresh', () => {
    const cache = new OwnerCache(3)
    const host = { name: 'a' } as Host
    const id = (n: number) => String(n).padStart(64, '0')
    for (let n = 0; n < 3; n++) cache.remember(id(n), host)
    assert.ok(cache.lookup(id(0)))
    cache.remember(id(3), host)
    assert.equal(cache.size, 3)
    assert.ok(cache.lookup(id(0)), 'used lately: kept')
    assert.equal(cache.lookup(id(1)), undefined, 'least recently used: gone')
    for (let n = 4; n < 10_000; n++) cache.remember(id(n), host)
    assert.equal(cache.size, 3)
  })
})
