/**
 * The streams part's turns (bench/parts/real.ts transferRounds): one transfer per target per round, each
 * target in each place of the order alike, one unmeasured transfer each first, until every target has
 * spent the budget.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { transferRounds } from '../../bench/parts/real.ts'

test('each target takes each place in the order alike, after a warm-up, until the budget is spent', async () => {
  const calls: number[] = []
  // Target 2 is faster: 0.5 s a transfer against 1 s, 2.5 s a round. A budget of 4 s each, 12 s in all,
  // the warm-up's 2.5 s included, takes 4 rounds (12.5 s), then 2 more to make the rotation whole.
  const once = (which: number) => {
    calls.push(which)
    return Promise.resolve({ mb: 1, seconds: which === 2 ? 0.5 : 1, transfers: 1, firstBytes: 0 })
  }
  const rounds = await transferRounds(once, 4)
  assert.deepEqual(calls.slice(0, 3), [0, 1, 2], 'one unmeasured transfer per target first')
  assert.equal(rounds.length, 6, 'until the three spent their budgets together, a whole rotation')
  const order = calls.slice(3)
  for (let which = 0; which < 3; which++) {
    const places = [0, 1, 2].map((place) => order.filter((w, i) => w === which && i % 3 === place).length)
    assert.deepEqual(places, [2, 2, 2], `target ${which}'s places in the rounds`)
  }
  for (const round of rounds) assert.equal(round.length, 3)
})
