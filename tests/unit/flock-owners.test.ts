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
