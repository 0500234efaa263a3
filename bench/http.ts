import { Agent, request } from 'node:http'
import { connect, type Socket } from 'node:net'

/** Where a docker API (an engine, a fake daemon or a flocker) listens. */
export interface Target {
  readonly host: string
  readonly port: number
}

export interface LatencyStats {
  readonly p50: number
  readonly p99: number
}

export function targetOf(url: string): Target {
  const parsed = new URL(url.replace(/^tcp:/, 'http:'))
  return { host: parsed.hostname, port: Number(parsed.port) }
}

/** One GET on a keep-alive agent, body read to the end; resolves with the status. */
function get(target: Target, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    // A hung engine must fail the run, not stall it.
    const req = request({ ...target, path, agent, method: 'GET', timeout: 60_000 }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 60 s`)))
    req.end()
  })
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

/** Latencies (ms) of `count` sequential GETs on one keep-alive connection, after a short warm-up. */
export async function latencySamples(target: Target, path: string, count: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < Math.min(20, count); i++) await expectOk(get(target, path, agent), path)
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      await expectOk(get(target, path, agent), path)
      times.push(performance.now() - start)
    }
    return times
  } finally {
    agent.destroy()
  }
}

export function latencyStats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

/** Seconds that `count` GETs from `concurrency` keep-alive connections at once take. */
export async function burstSeconds(
  target: Target,
  path: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  try {
    const burst = async (total: number) => {
      let next = 0
      const worker = async () => {
        while (next++ < total) await expectOk(get(target, path, agent), path)
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
    }
    await burst(concurrency * 2) // warm-up: open every connection first
    const start = performance.now()
    await burst(count)
    return (performance.now() - start) / 1000
  } finally {
    agent.destroy()
  }
}

async function expectOk(status: Promise<number>, path: string): Promise<void> {
  const code = await status
  if (code !== 200) throw new Error(`GET ${path} answered ${code}`)
}

/** A JSON request on a fresh connection (setup calls: create, start, remove). */
export function call(target: Target, method: string, path: string, body?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = payload
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
      : {}
    const req = request({ ...target, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
        else resolve(text)
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/**
 * Attaches to a created (not started) container with a raw socket of our own, the way the docker
 * CLI does (Upgrade: tcp), then starts it and counts every byte until the stream ends.
 * Returns bytes received and seconds from the start request to the end of the stream.
 */
export async function attachStream(target: Target, id: string): Promise<{ bytes: number; seconds: number }> {
  const socket = connect(target.port, target.host)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  socket.write(
    `POST /v1.41/containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n` +
      `Host: docker\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  )
  const extra = await readUpgradeHead(socket)
  let bytes = extra
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => (bytes += chunk.byteLength))
    socket.on('end', resolve)
    socket.on('error', reject)
  })
  const start = performance.now()
  await call(target, 'POST', `/v1.41/containers/${id}/start`)
  await ended
  const seconds = (performance.now() - start) / 1000
  socket.destroy()
  return { bytes, seconds }
}

/** Reads until the end of the 101 head; returns how many stream bytes came with it. */
function readUpgradeHead(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      const status = head.subarray(0, head.indexOf('\r\n')).toString()
      if (!/^HTTP\/1\.1 101/.test(status)) reject(new Error(`attach answered: ${head.toString()}`))
      else resolve(head.byteLength - end - 4)
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
}

/** One header of a GET's answer (the body read and dropped), on a fresh connection. */
export function headerOf(target: Target, path: string, name: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method: 'GET', agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.headers[name.toLowerCase()] as string | undefined))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * Polls until `target` marks its answer to `path` as cached (`header: cached`), for `seconds` at most
 * (10 by default): whether it did. A list cache answers live until every host's feed has synced.
 */
export async function untilCached(
  target: Target,
  path: string,
  header: string,
  seconds = 10,
): Promise<boolean> {
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    if ((await headerOf(target, path, header)) === 'cached') return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return (await headerOf(target, path, header)) === 'cached'
}
