import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { test } from 'node:test'
import { bunAdapter } from '../../src/runtime/bun.ts'
import { nodeAdapter } from '../../src/runtime/node.ts'
import type { FetchHandler } from '../../src/runtime/types.ts'

// A host's stream that breaks at once (its bad bytes came with its head) must reach the client as
// the host's head and a cut body, as on Node and Deno, not as @hono/node-server's own bare 500,
// which it gives when a body fails in the reads it makes before writing the head (seen on Bun).
// The Bun adapter is node:http with native Response objects: the same code path runs here on Node.

/** A stream answer whose body fails after `chunks` (none: at once). */
function brokenStream(chunks: string[]): FetchHandler {
  return () => {
    const left = [...chunks]
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = left.shift()
        if (chunk === undefined) controller.error(new Error('aborted'))
        else controller.enqueue(new TextEncoder().encode(chunk))
      },
    })
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'application/vnd.docker.raw-stream' },
    })
  }
}

/** Everything the server sent, and whether the connection ended without an error. */
function rawGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.on('data', (chunk) => (text += chunk))
    socket.on('error', () => {})
    socket.once('close', () => resolve(text))
    socket.write('GET /logs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  })
}

function assertCutAfterHead(text: string) {
  assert.match(text, /^HTTP\/1\.1 200 /, text)
  assert.match(text, /content-type: application\/vnd\.docker\.raw-stream/i)
  assert.doesNotMatch(text, /Error: aborted/)
  // Chunked, and not ended by the last chunk: the client sees the body cut.
  assert.match(text, /transfer-encoding: chunked/i)
  assert.doesNotMatch(text, /\r\n0\r\n\r\n$/)
}

for (const chunks of [[], ['first bytes']]) {
  test(`a body that fails ${chunks.length ? 'after its first chunk' : 'at once'}: the head, then a cut`, async () => {
    const server = await bunAdapter.serve(brokenStream(chunks), {
      listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }],
    })
    try {
      const text = await rawGet(Number(server.addresses[0]!.split(':').at(-1)))
      assertCutAfterHead(text)
      for (const chunk of chunks) assert.ok(text.includes(chunk), text)
    } finally {
      await server.close()
    }
  })
}

test('the same through handle(req, res) in a node:http server of the user', async () => {
  const server = createServer((req, res) => void nodeAdapter.requestListener(brokenStream([]))(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    assertCutAfterHead(await rawGet((server.address() as { port: number }).port))
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

test('an answer that ends cleanly is untouched', async () => {
  const handler: FetchHandler = () =>
    new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } })
  const server = await bunAdapter.serve(handler, { listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] })
  try {
    const text = await rawGet(Number(server.addresses[0]!.split(':').at(-1)))
    assert.match(text, /^HTTP\/1\.1 200 /)
    assert.match(text, /\{"ok":true\}/)
  } finally {
    await server.close()
  }
})
