import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { connect, type Socket } from 'node:net'

// Hijacked sessions driven straight through the Engine API (no docker CLI process per session, so
// hundreds fit on a small machine): exec -i and attach, each sending a payload, half-closing, and
// checking that what comes back is byte for byte what went in.

/** What one session sent and got back. */
export interface SessionResult {
  readonly sent: number
  /** stdout bytes received, each equal to the byte sent at its offset (else `error` says where not). */
  readonly received: number
  /** Every byte that came after the 101 head, frame headers included: what the server wrote. */
  readonly streamBytes: number
  readonly ok: boolean
  readonly error?: string
  /** The upgraded request's path (exec start, attach): where flocker's log says what it carried. */
  readonly path?: string
}

/** A client that reads slowly: it stops reading for `pauseMs` after every `everyBytes` it gets. */
export interface SlowReader {
  readonly everyBytes: number
  readonly pauseMs: number
}

interface Json {
  readonly status: number
  // deno-lint-ignore no-explicit-any -- engine answers of every shape
  readonly body: any
}

/** A small JSON request on a connection of its own. */
export function apiJson(port: number, method: string, path: string, body?: unknown): Promise<Json> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const text = body === undefined ? '' : JSON.stringify(body)
    let raw = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (raw += chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const end = raw.indexOf('\r\n\r\n')
      const status = Number(raw.slice(9, 12))
      let payload = raw.slice(end + 4)
      if (/transfer-encoding: chunked/i.test(raw.slice(0, end))) payload = unchunk(payload)
      try {
        resolve({ status, body: payload ? JSON.parse(payload) : null })
      } catch {
        resolve({ status, body: payload })
      }
    })
    // write, not end: a server may drop a connection whose client half-closed before the answer.
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    )
  })
}

function unchunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const line = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, line), 16)
    if (!size) return out
    out += rest.slice(line + 2, line + 2 + size)
    rest = rest.slice(line + 2 + size + 2)
  }
}

/** `docker exec -i CONTAINER cat` with `size` random bytes: exec create, then an upgraded start. */
export async function execSession(
  port: number,
  container: string,
  size: number,
  slowReader?: SlowReader,
): Promise<SessionResult> {
  const created = await apiJson(port, 'POST', `/v1.41/containers/${container}/exec`, {
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Cmd: ['cat'],
  })
  if (created.status !== 201) {
    return failed(size, `exec create: ${created.status} ${JSON.stringify(created.body)}`)
  }
  return roundTrip(port, `/v1.41/exec/${created.body.Id}/start`, '{"Detach":false,"Tty":false}', size, {
    slowReader,
  })
}

/**
 * `docker run -i` without the CLI: a container running `cat` with StdinOnce, attached before it
 * starts, so its output ends when the payload's EOF reaches it.
 */
export async function attachSession(
  port: number,
  name: string,
  image: string,
  size: number,
): Promise<SessionResult> {
  const created = await apiJson(port, 'POST', `/v1.41/containers/create?name=${name}`, {
    Image: image,
    Cmd: ['cat'],
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { NetworkMode: 'none' },
  })
  if (created.status !== 201) return failed(size, `create: ${created.status} ${JSON.stringify(created.body)}`)
  const id = created.body.Id as string
  return roundTrip(
    port,
    `/v1.41/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
    '',
    size,
    {
      afterUpgrade: async () => {
        const started = await apiJson(port, 'POST', `/v1.41/containers/${id}/start`)
        if (started.status !== 204) {
          throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`)
        }
      },
    },
  )
}

function failed(size: number, error: string): SessionResult {
  return { sent: size, received: 0, streamBytes: 0, ok: false, error }
}

/**
 * An upgraded request carrying `size` random bytes on stdin, then a half-close; the multiplexed
 * answer's stdout is compared byte for byte with what was sent as it comes, so a session that ends
 * short says whether what it got was exactly the start of the payload.
 */
function roundTrip(
  port: number,
  path: string,
  body: string,
  size: number,
  options: { afterUpgrade?: () => Promise<void>; slowReader?: SlowReader },
): Promise<SessionResult> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const expected = new SentBytes()
    let received = 0
    let streamBytes = 0
    let unpaused = 0
    let head: Buffer | null = Buffer.alloc(0) as Buffer
    let frames: Buffer = Buffer.alloc(0)
    let error: string | undefined
    socket.on('error', (e) => (error ??= e.message))
    socket.on('data', (chunk: Buffer) => {
      if (head) {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        const statusLine = head.subarray(0, head.indexOf('\r\n')).toString()
        const rest = head.subarray(end + 4)
        head = null
        if (!/^HTTP\/1\.1 101/.test(statusLine)) {
          error = `no upgrade: ${statusLine} ${rest.toString().slice(0, 200)}`
          return socket.destroy()
        }
        void (async () => {
          try {
            await options.afterUpgrade?.()
            await send(socket, size, expected)
          } catch (e) {
            error ??= (e as Error).message
            socket.destroy()
          }
        })()
        chunk = rest
      }
      streamBytes += chunk.byteLength
      frames = frames.length ? Buffer.concat([frames, chunk]) : chunk
      while (frames.length >= 8) {
        const length = frames.readUInt32BE(4)
        if (frames.length < 8 + length) break
        const data = frames.subarray(8, 8 + length)
        if (frames[0] === 1) {
          if (!error && !expected.matches(data)) error = `stdout differs from stdin at byte ${received}`
          received += length
        } else if (frames[0] === 2) {
          error ??= `stderr: ${data.toString().slice(0, 200)}`
        }
        frames = frames.subarray(8 + length)
      }
      const slow = options.slowReader
      if (slow && (unpaused += chunk.byteLength) >= slow.everyBytes) {
        unpaused = 0
        socket.pause()
        setTimeout(() => socket.resume(), slow.pauseMs)
      }
    })
    socket.on('close', () => {
      // Bytes left inside a frame: the stream lost or changed bytes in the middle, not at its end.
      if (frames.length) error ??= `the stream ended inside a frame (${frames.length} bytes of it)`
      const ok = !error && received === size
      resolve({ sent: size, received, streamBytes, ok, error, path })
    })
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  })
}

/** The bytes sent and not yet seen coming back, in order: what comes back must match them. */
class SentBytes {
  readonly #chunks: Buffer[] = []

  add(chunk: Buffer): void {
    this.#chunks.push(chunk)
  }

  /** Whether `data` is the next run of sent bytes; it is taken off either way. */
  matches(data: Buffer): boolean {
    let at = 0
    while (at < data.length) {
      const next = this.#chunks[0]
      if (!next) return false
      const take = Math.min(next.length, data.length - at)
      if (!next.subarray(0, take).equals(data.subarray(at, at + take))) return false
      at += take
      if (take === next.length) this.#chunks.shift()
      else this.#chunks[0] = next.subarray(take)
    }
    return true
  }
}

/** Writes `size` random bytes with backpressure, then half-closes (stdin's EOF). */
async function send(socket: Socket, size: number, expected: SentBytes): Promise<void> {
  const block = 64 << 10
  for (let sent = 0; sent < size; sent += block) {
    const chunk = randomBytes(Math.min(block, size - sent))
    expected.add(chunk)
    if (!socket.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        socket.once('drain', resolve)
        socket.once('close', () => reject(new Error('closed while sending')))
      })
    }
  }
  socket.end()
}

/** Open file descriptors of a process, and how many of them are TCP sockets to the given ports. */
export function processCounts(
  pid: number,
  upstreamPorts: readonly number[],
): { fds: number; upstream: number; rssMb: number } {
  const inodes = new Set<string>()
  const fds = readdirSync(`/proc/${pid}/fd`)
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      const match = /^socket:\[(\d+)\]$/.exec(target)
      if (match) inodes.add(match[1]!)
    } catch {
      // closed meanwhile
    }
  }
  const wanted = new Set(upstreamPorts.map((port) => port.toString(16).toUpperCase().padStart(4, '0')))
  let upstream = 0
  for (const table of ['tcp', 'tcp6']) {
    let text = ''
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10) continue
      const remotePort = cols[2]!.split(':')[1]!
      if (wanted.has(remotePort) && inodes.has(cols[9]!)) upstream++
    }
  }
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return { fds: fds.length, upstream, rssMb: Math.round(Number(rss?.[1] ?? 0) / 1024) }
}
