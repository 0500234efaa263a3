import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'

/**
 * Sends bytes exactly as written (fetch would normalise the path, refuse odd heads or fix them) and
 * returns what came back until the server closed or `ms` passed. For requests a real client would
 * never send: the front door's tests.
 */
export function rawRequest(
  port: number,
  head: string,
  body: Uint8Array | string = '',
  ms = 5_000,
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const timer = setTimeout(done, ms)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('close', done)
    socket.on('error', done)
    socket.write(head)
    if (body.length) socket.write(body)
  })
}

/** The status code of a raw HTTP/1.1 answer (0 when none came). */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0)
}

/** An answer as a client sees it: the head, and the body or how it broke off. */
export interface Seen {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
  /** Set when the body did not end cleanly (reset, cut, bad framing). */
  readonly bodyError?: string
}

/** Beyond this a request counts as hung: the test fails instead of waiting for CI's limit. */
export const HANG = 60_000

/** One HTTP request on a fresh connection; rejects when no head comes (with the error), or after HANG. */
export function ask(port: number, method: string, path: string, body?: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      const done = (bodyError?: string) => {
        clearTimeout(timer)
        resolve({ status: res.statusCode!, headers: res.headers, body: text, bodyError })
      }
      res.once('end', () => done())
      res.once('error', (error) => done(error.message))
      res.once('aborted', () => done('aborted'))
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`${method} ${path} hung for ${HANG} ms`))
    }, HANG)
    req.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end(body)
  })
}

/** `{"message": ...}` of an error answer. */
export function messageOf(seen: Seen): string {
  try {
    return String((JSON.parse(seen.body) as { message?: unknown }).message ?? seen.body)
  } catch {
    return seen.body
  }
}

/**
 * An Upgrade request (attach, exec start) on a raw socket: resolves with the answer head's status
 * line and everything the connection carried until it closed (or HANG passed).
 */
export function upgrade(port: number, path: string, body = ''): Promise<{ statusLine: string; all: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let all = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`upgrade ${path} hung for ${HANG} ms`))
    }, HANG)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (all += chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ statusLine: all.split('\r\n')[0] ?? '', all })
    })
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    socket.end()
  })
}

/** Waits until `docker info` (SystemStatus) shows `host` with `status`; the caller's HANG guards it. */
export async function waitForHostStatus(port: number, host: string, status: 'Healthy' | 'Unhealthy') {
  for (;;) {
    const info = JSON.parse((await ask(port, 'GET', '/v1.41/info')).body)
    const rows = (info.SystemStatus ?? []) as [string, string][]
    const at = rows.findIndex(([name]) => name.trim() === host)
    if (at >= 0 && rows[at + 1]?.[1] === status) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
