import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ownedObjectEvents } from '../../src/tenants/events.ts'

const sideQuery = (search: string) => {
  const side = ownedObjectEvents(new URLSearchParams(search), 't')
  const host = {} as Parameters<NonNullable<typeof side>>[0]
  return side?.(host, AbortSignal.abort())?.query
}

test("a tenant's network and volume events come from a second stream, as the client's filters allow", () => {
  assert.deepEqual(JSON.parse(sideQuery('since=1')!.get('filters')!), { type: ['network', 'volume'] })
  assert.equal(sideQuery('since=1')!.get('since'), '1')
  const networks = sideQuery(`filters=${encodeURIComponent('{"type":["network"],"event":["create"]}')}`)!
  assert.deepEqual(JSON.parse(networks.get('filters')!), { type: ['network'], event: ['create'] })
})

test('no second stream when the filters cannot match a network or volume event', () => {
  assert.equal(sideQuery(`filters=${encodeURIComponent('{"type":["container"]}')}`), undefined)
  // Their events carry no labels: a label filter matches none of them, as on one engine.
  assert.equal(sideQuery(`filters=${encodeURIComponent('{"label":["a=b"]}')}`), undefined)
})
