import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  InspectCache,
  type InspectWindow,
  keepableContainer,
  QUIET_MS,
} from '../../src/cache/inspect-cache.ts'

/** A host's events as the cache sees them: bumped by hand, on a clock of the test's own. */
class Window implements InspectWindow {
  epoch = 0
  quietSince = 0
  streamUp = true
  constructor(private readonly clock: { now: number }) {}
  stir() {
    this.epoch++
    this.quietSince = this.clock.now
  }
}

const ID = 'c'.repeat(64)
const running = { Id: ID, State: { Status: 'running' }, ExecIDs: null }
const answer = (text: string) => ({
  bytes: new TextEncoder().encode(text),
  headers: { 'api-version': '1.41' },
})

function setUp() {
  const clock = { now: 100_000 }
  const cache = new InspectCache(() => clock.now)
  const window = new Window(clock)
  const keep = (stamp: unknown = 'facts') => {
    const ticket = cache.ticket(window)
    assert.ok(ticket, 'no ticket on a quiet host')
    cache.keep(ticket, ID, stamp, answer('{"kept":1}'))
  }
  return { clock, cache, window, keep }
}

describe('kept container inspects', () => {
  test('are answered while nothing happened on their host', () => {
    const { cache, window, keep } = setUp()
    keep()
    assert.equal(new TextDecoder().decode(cache.answer(window, ID, 'facts')?.bytes), '{"kept":1}')
    assert.deepEqual(cache.answer(window, ID, 'facts')?.headers, { 'api-version': '1.41' })
  })

  test('go stale with any event or change on their host, or a break in its stream', () => {
    const { cache, window, keep } = setUp()
    keep()
    window.stir()
    assert.equal(cache.answer(window, ID, 'facts'), undefined)
    const { cache: other, window: broken, keep: keepOther } = setUp()
    keepOther()
    broken.streamUp = false
    assert.equal(other.answer(broken, ID, 'facts'), undefined)
  })

  test('are not kept when asked of a host that was not quiet, or that changed while asked', () => {
    const { clock, cache, window } = setUp()
    window.stir()
    clock.now += QUIET_MS - 1
    assert.equal(cache.ticket(window), undefined, 'dockerd may announce a change before its inspect shows it')
    clock.now += 1
    const ticket = cache.ticket(window)!
    window.stir()
    cache.keep(ticket, ID, 'facts', answer('{}'))
    assert.equal(cache.answer(window, ID, 'facts'), undefined)
  })

  test('are never kept for a health check, exec instances or a passing state', () => {
    assert.ok(keepableContainer(running))
    for (
      const inspect of [
        { ...running, State: { Status: 'running', Health: { Status: 'healthy' } } },
        { ...running, ExecIDs: ['e'.repeat(64)] },
        { ...running, State: { Status: 'restarting' } },
        { ...running, State: { Status: 'removing' } },
      ]
    ) {
      assert.ok(!keepableContainer(inspect), JSON.stringify(inspect))
    }
  })

  test('are rendered again when what else they show changed (the host facts of `Node`)', () => {
    const { cache, window, keep } = setUp()
    keep('facts before')
    assert.equal(cache.answer(window, ID, 'facts after'), undefined)
  })

  test("belong to their host: another host's window never answers them", () => {
    const { clock, cache, keep } = setUp()
    keep()
    assert.equal(cache.answer(new Window(clock), ID, 'facts'), undefined)
  })
})
