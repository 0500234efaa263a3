import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { ConnectionCap } from '../../src/runtime/node-compat/connection-cap.ts'
import { ScavengeNudge } from '../../src/runtime/node-compat/scavenge-nudge.ts'

const connection = () => {
  const socket = new EventEmitter() as unknown as Socket & { destroyed: boolean }
  socket.destroy = () => {
    socket.destroyed = true
    return socket
  }
  return socket
}

test('V8 is let check for dead read buffers while a client is connected, and not after', () => {
  const nudge = new ScavengeNudge()
  const cap = new ConnectionCap(Infinity, nudge)
  assert.equal(nudge.nudging, false)
  const [first, second] = [connection(), connection()]
  cap.admit(first)
  cap.admit(second)
  assert.equal(nudge.nudging, true)
  first.emit('close')
  assert.equal(nudge.nudging, true)
  second.emit('close')
  assert.equal(nudge.nudging, false)
  cap.admit(connection())
  assert.equal(nudge.nudging, true)
  nudge.stop()
})

test('a connection past the cap is closed at once and does not count', () => {
  const nudge = new ScavengeNudge()
  const cap = new ConnectionCap(1, nudge)
  const [first, second] = [connection(), connection()]
  assert.equal(cap.admit(first), true)
  assert.equal(cap.admit(second), false)
  assert.equal(second.destroyed, true)
  first.emit('close')
  assert.equal(nudge.nudging, false)
  assert.equal(cap.admit(second), true)
  nudge.stop()
})
