import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { ScavengeNudge } from '../../src/runtime/node-compat/scavenge-nudge.ts'

const connection = () => new EventEmitter() as unknown as Socket

test('V8 is let check for dead read buffers while a client is connected, and not after', () => {
  const nudge = new ScavengeNudge()
  assert.equal(nudge.nudging, false)
  const [first, second] = [connection(), connection()]
  nudge.track(first)
  nudge.track(second)
  assert.equal(nudge.nudging, true)
  first.emit('close')
  assert.equal(nudge.nudging, true)
  second.emit('close')
  assert.equal(nudge.nudging, false)
  nudge.track(connection())
  assert.equal(nudge.nudging, true)
})
