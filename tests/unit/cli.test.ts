import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseArgs, UsageError } from '../../src/cli.ts'

test('health and timeout flags', () => {
  const args = parseArgs(['--health-interval', '250', '--health-threshold=3', '--host-timeout', '900'])
  assert.equal(args.healthInterval, 250)
  assert.equal(args.healthThreshold, 3)
  assert.equal(args.hostTimeout, 900)
  assert.throws(() => parseArgs(['--health-interval', 'soon']), UsageError)
})
