import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeJsonLine, jsonMessages } from '../../src/docker/json-lines.ts'
import { streamOf } from '../support/streams.ts'

const encoder = new TextEncoder()

test('jsonMessages splits values cut anywhere, with or without newlines, braces inside strings', async () => {
  const text = '{"status":"a {"}\n{"status":"b\\"}"}{"id":1,"progressDetail":{}}  \r\n[1,2]\n'
  const bytes = encoder.encode(text)
  const cut = [bytes.subarray(0, 5), bytes.subarray(5, 17), bytes.subarray(17, 40), bytes.subarray(40)]
  const messages = []
  for await (const message of jsonMessages(streamOf(cut))) messages.push(message)
  assert.deepEqual(messages, [{ status: 'a {' }, { status: 'b"}' }, { id: 1, progressDetail: {} }, [1, 2]])
})

test('jsonMessages keeps a multi-byte character cut between chunks', async () => {
  const bytes = encoder.encode('{"s":"é€"}')
  const messages = []
  for await (const message of jsonMessages(streamOf([bytes.subarray(0, 8), bytes.subarray(8)]))) {
    messages.push(message)
  }
  assert.deepEqual(messages, [{ s: 'é€' }])
  assert.equal(new TextDecoder().decode(encodeJsonLine({ a: 1 })), '{"a":1}\n')
})
