import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatEndpoint, parseEndpoint } from '../../src/addresses/endpoint.ts'
import { readTlsDirectory } from '../../src/addresses/tls-directory.ts'
import {
  concatBytes,
  encodeRequestHead,
  headEnd,
  parseResponseHead,
} from '../../src/runtime/node-compat/http1.ts'
import { parseListenAddress } from '../../src/serve.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

test('headEnd finds the blank line, also when the head came in pieces', () => {
  const head = 'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n'
  const all = bytes(head + 'stream bytes')
  assert.equal(headEnd(all), head.length)
  assert.equal(headEnd(bytes('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\n')), -1)
  const pieces = concatBytes([
    all.subarray(0, 10),
    all.subarray(10, head.length - 1),
    all.subarray(head.length - 1),
  ])
  assert.equal(headEnd(pieces), head.length)
})

test('parseResponseHead reads status, text and headers (repeated headers kept)', () => {
  const raw = bytes(
    'HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\nSet-Cookie: a\r\nSet-Cookie: b\r\nX-Odd:no-space\r\n\r\n',
  )
  const head = parseResponseHead(raw.subarray(0, headEnd(raw)))
  assert.equal(head.status, 101)
  assert.equal(head.statusText, 'UPGRADED')
  assert.equal(head.headers.get('upgrade'), 'tcp')
  assert.equal(head.headers.get('x-odd'), 'no-space')
  assert.deepEqual(head.headers.getSetCookie(), ['a', 'b'])
  assert.equal(parseResponseHead(bytes('HTTP/1.0 404\r\n\r\n')).status, 404)
  assert.throws(() => parseResponseHead(bytes('SSH-2.0-OpenSSH\r\n\r\n')), /malformed response/)
})

test('encodeRequestHead writes a request head with a blank line', () => {
  const head = new TextDecoder().decode(
    encodeRequestHead(
      'POST',
      '/v1.41/exec/abc/start',
      new Headers({ 'Content-Length': '2', Upgrade: 'tcp' }),
    ),
  )
  assert.equal(head, 'POST /v1.41/exec/abc/start HTTP/1.1\r\ncontent-length: 2\r\nupgrade: tcp\r\n\r\n')
})

test('parseEndpoint: docker address forms', () => {
  assert.deepEqual(parseEndpoint('tcp://10.0.0.1:2375'), { kind: 'tcp', host: '10.0.0.1', port: 2375 })
  assert.deepEqual(parseEndpoint('10.0.0.1:4243'), { kind: 'tcp', host: '10.0.0.1', port: 4243 })
  assert.deepEqual(parseEndpoint('http://node'), { kind: 'tcp', host: 'node', port: 2375 })
  assert.deepEqual(parseEndpoint('https://node'), { kind: 'tcp', host: 'node', port: 2376, tls: {} })
  assert.deepEqual(parseEndpoint('tcp://[::1]:2375'), { kind: 'tcp', host: '::1', port: 2375 })
  assert.deepEqual(parseEndpoint('unix:///var/run/docker.sock'), {
    kind: 'unix',
    path: '/var/run/docker.sock',
  })
  assert.deepEqual(parseEndpoint('/run/d.sock'), { kind: 'unix', path: '/run/d.sock' })
  const tls = { ca: 'CA' }
  assert.deepEqual(parseEndpoint('tcp://node:2376', tls), { kind: 'tcp', host: 'node', port: 2376, tls })
  assert.throws(() => parseEndpoint('ftp://node:21'), /unsupported scheme ftp/)
  assert.throws(() => parseEndpoint('unix://relative.sock'), /must be absolute/)
  assert.throws(() => parseEndpoint('tcp://node:2375/docker'), /takes no path/)
  assert.throws(() => parseEndpoint('tcp://'), /invalid address|no host/)
  assert.throws(() => parseEndpoint('tcp://node:99999'), /invalid address/)
})

test('formatEndpoint writes addresses back', () => {
  assert.equal(formatEndpoint(parseEndpoint('[::1]:2375')), 'tcp://[::1]:2375')
  assert.equal(formatEndpoint(parseEndpoint('https://n:1')), 'https://n:1')
  assert.equal(formatEndpoint(parseEndpoint('unix:///a.sock')), 'unix:///a.sock')
})

test('listen addresses need a port and refuse TLS', () => {
  assert.deepEqual(parseListenAddress('tcp://127.0.0.1:0'), { kind: 'tcp', host: '127.0.0.1', port: 0 })
  assert.throws(() => parseListenAddress('tcp://127.0.0.1'), /give a port/)
  assert.throws(() => parseListenAddress('https://127.0.0.1:2376'), /serving TLS is not supported/)
})

test('readTlsDirectory reads docker layout and fails on an empty folder', async () => {
  const files: Record<string, string> = { '/c/ca.pem': 'CA', '/c/cert.pem': 'CERT', '/c/key.pem': 'KEY' }
  const read = (path: string) =>
    files[path] ? Promise.resolve(files[path]) : Promise.reject(new Error('ENOENT'))
  assert.deepEqual(await readTlsDirectory('/c', read), {
    ca: 'CA',
    cert: 'CERT',
    key: 'KEY',
    insecure: false,
  })
  await assert.rejects(readTlsDirectory('/none', read), /no ca.pem, cert.pem or key.pem in \/none/)
})
