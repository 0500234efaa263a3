import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { ListPlans, readPlan } from '../../src/cache/list-plans.ts'
import { loadRe2 } from '../../src/docker/re2.ts'

describe('list plans: a ps query string read once', () => {
  before(() => loadRe2())

  test('the same query string gets the very plan read the first time', () => {
    const plans = new ListPlans(() => false)
    const plan = plans.plan('?all=1')
    assert.equal(plans.plan('?all=1'), plan)
    assert.notEqual(plans.plan('?all=0'), plan)
    assert.equal(plan.rows?.all, true)
    assert.equal(plans.plan('?all=0').rows?.all, false)
  })

  test('a plan reads as the request did: own filters out, the key as the cache keyed it', () => {
    const search = '?all=1&filters=' +
      encodeURIComponent('{"label":{"flocker.host=node1":true,"app":true},"name":{"web":true}}')
    const plan = new ListPlans((name) => name === 'node1').plan(search)
    assert.deepEqual(plan.engineFilters, { label: ['app'], name: ['web'] })
    const params = new URLSearchParams(search)
    assert.equal(plan.key, `${params}\n${JSON.stringify(plan.engineFilters)}`)
    assert.equal(plan.hosts.keep({ name: 'node1' } as never), true)
    assert.equal(plan.hosts.keep({ name: 'node2' } as never), false)
  })

  test('filters dockerd refuses leave no rows to keep (the engines answer)', () => {
    const plan = new ListPlans(() => false).plan('?filters=' + encodeURIComponent('{"name":"web"}'))
    assert.equal(plan.engineFilters, undefined)
    assert.equal(plan.rows, undefined)
    assert.equal(new ListPlans(() => false).plan('?size=1').rows, undefined)
  })

  test('a host that joins is read as one once the plans are cleared', () => {
    const hosts = new Set<string>()
    const plans = new ListPlans((name) => hosts.has(name))
    const search = '?filters=' + encodeURIComponent('{"name":["node9/web"]}')
    assert.equal(plans.plan(search).hosts.byHostName, false)
    hosts.add('node9')
    assert.equal(plans.plan(search).hosts.byHostName, false, 'kept until cleared')
    plans.clear()
    assert.equal(plans.plan(search).hosts.byHostName, true)
    const fresh = readPlan(new URLSearchParams(search), (name) => hosts.has(name))
    assert.equal(plans.plan(search).key, fresh.key)
    assert.deepEqual(plans.plan(search).engineFilters, fresh.engineFilters)
  })
})
