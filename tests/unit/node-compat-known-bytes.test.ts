import assert from 'node:assert/strict'
import { ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { test } from 'node:test'
import { bunAdapter } from '../../src/runtime/bun.ts'
import { bytesResponse, knownBytes, knownHead, withKnownHeader } from '../../src/runtime/known-bytes.ts'
import { SLICE_BYTES } from '../../src/runtime/node-compat/known-bytes-answer.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
import type { FetchHandler } from '../../src/runtime/types.ts'

// An answer of bytes flocker holds (a cached list) goes to the socket as those bytes with their
// length, not read back through the Response's stream. The Bun adapter is node:http with native
// Response objects (Bun and Deno): the same code path runs here on Node.

const BODY = new TextEncoder().encode(JSON.stringify([{ Id: 'a'.repeat(64), Names: ['/web'] }]).repeat(2000))

/** Two GETs on one connection; everything the server sent. */
function twoGets(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => (text += chunk))
    socket.on('error', () => {})
    socket.once('close', () => resolve(text))
    socket.write('GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n')
    socket.write('GET /containers/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  })
}

test("known bytes are written with their length, the handler's headers and status, body unread", async () => {
  const answered: Response[] = []
  const handler: FetchHandler = () => {
    const response = bytesResponse(BODY, { status: 200, headers: { 'content-type': 'application/json' } })
    // As a middleware would: a header added after the handler.
    response.headers.set('x-request-id', `r${answered.length}`)
    answered.push(response)
    return response
  }
  const server = await bunAdapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  try {
    const text = await twoGets(Number(server.addresses[0]!.split(':').at(-1)))
    const answers = text.split(/(?=HTTP\/1\.1 )/)
    assert.equal(answers.length, 2)
    answers.forEach((answer, i) => {
      const [head, body] = [
        answer.slice(0, answer.indexOf('\r\n\r\n')),
        answer.slice(answer.indexOf('\r\n\r\n') + 4),
      ]
      assert.match(head, /^HTTP\/1\.1 200 /)
      assert.match(head, new RegExp(`content-length: ${BODY.byteLength}\r\n`, 'i'))
      assert.match(head, /content-type: application\/json/i)
      assert.match(head, new RegExp(`x-request-id: r${i}`, 'i'))
      assert.doesNotMatch(head, /transfer-encoding/i)
      assert.equal(body, new TextDecoder('latin1').decode(BODY))
    })
    // Written from the note of its bytes, not read through the Response's stream.
    assert.ok(answered.every((response) => !response.bodyUsed))
  } finally {
    await server.close()
  }
})

test('a bytes Response reads like any other (app.fetch mounted in a larger router)', async () => {
  const response = bytesResponse(BODY, { headers: { 'content-type': 'application/json' } })
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), BODY)
  assert.equal(response.headers.get('content-type'), 'application/json')
  // The bytes are handed over, not taken: a kept answer made into a Response again reads the same.
  const again = bytesResponse(BODY, {})
  assert.equal(await again.text(), new TextDecoder().decode(BODY))
  assert.equal(await bytesResponse(BODY, {}).text(), await new Response(BODY).text())
})

test("a known answer's head is read and added to as it was made, names in lower case", async () => {
  const response = bytesResponse(BODY, {
    headers: { 'Content-Type': 'application/json', 'X-Flocker-Missing-Hosts': 'node2 (down)' },
  })
  assert.deepEqual(knownHead(response), {
    'content-type': 'application/json',
    'x-flocker-missing-hosts': 'node2 (down)',
  })
  const tagged = withKnownHeader(response, 'X-Request-Id', 'r1')
  assert.equal(tagged.headers.get('x-request-id'), 'r1')
  assert.equal(tagged.headers.get('content-type'), 'application/json')
  assert.equal(knownBytes(tagged), BODY)
  assert.equal(await tagged.text(), new TextDecoder().decode(BODY))
  assert.equal(knownHead(new Response('x')), undefined)
})

test('a large known answer is written as the client takes it: one that reads nothing holds it back', async () => {
  // A 500-host list is 41 MB: handed to node:http in one write, Bun spent 80-185 ms of CPU on it
  // and held a copy per client; in slices, each after the socket took the one before.
  // More than the kernel's socket buffers take (tcp_rmem's maximum here is 32 MiB).
  const large = new Uint8Array(Buffer.alloc(64 * SLICE_BYTES + 123, 'abcdefghijklmnopqrstuvwxyz'))
  let handed = 0
  const write = ServerResponse.prototype.write
  const end = ServerResponse.prototype.end
  const count = (chunk: unknown) => (handed += chunk instanceof Uint8Array ? chunk.byteLength : 0)
  ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    count(chunk)
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  }
  ServerResponse.prototype.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    count(chunk)
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest)
  } as typeof end
  const handler: FetchHandler = () =>
    bytesResponse(large, { headers: { 'content-type': 'application/json' } })
  const server = await bunAdapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  const socket = connect(Number(server.addresses[0]!.split(':').at(-1)), '127.0.0.1')
  try {
    socket.pause()
    socket.write('GET /containers/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    // Until node:http stops taking more: the socket's buffers are full and the client reads nothing.
    let seen = -1
    while (seen !== handed) {
      seen = handed
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.ok(
      handed < large.byteLength,
      `${handed} of ${large.byteLength} bytes handed to a client reading nothing`,
    )
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.resume()
    await new Promise((resolve) => socket.once('close', resolve))
    const answer = Buffer.concat(chunks)
    const head = answer.subarray(0, answer.indexOf('\r\n\r\n')).toString('latin1')
    assert.match(head, new RegExp(`content-length: ${large.byteLength}\r\n`, 'i'))
    assert.ok(answer.subarray(head.length + 4).equals(large), 'every byte, in order')
  } finally {
    ServerResponse.prototype.write = write
    ServerResponse.prototype.end = end
    socket.destroy()
    await server.close()
  }
})

// Last: the Node adapter puts @hono/node-server's lightweight Response in the globals.
test("on Node's adapter a header added to a known answer is written with its bytes, in one answer", async () => {
  const handler: FetchHandler = () =>
    withKnownHeader(
      bytesResponse(BODY, { headers: { 'content-type': 'application/json' } }),
      'X-Request-Id',
      'n1',
    )
  const server = await nodeAdapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  try {
    const text = await twoGets(Number(server.addresses[0]!.split(':').at(-1)))
    const answers = text.split(/(?=HTTP\/1\.1 )/)
    assert.equal(answers.length, 2)
    for (const answer of answers) {
      const head = answer.slice(0, answer.indexOf('\r\n\r\n'))
      assert.match(head, new RegExp(`content-length: ${BODY.byteLength}(\r\n|$)`, 'i'))
      assert.match(head, /x-request-id: n1(\r\n|$)/i)
      assert.equal(answer.slice(head.length + 4), new TextDecoder('latin1').decode(BODY))
    }
  } finally {
    await server.close()
  }
})
