/** Stream throughput: one function per kind of stream, each counting every byte to the end. */
import { execFile } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { attachStream, call, type Target } from './http.ts'

export const MB = 1024 * 1024

export interface Transfer {
  readonly bytes: number
  readonly seconds: number
  /** Seconds from the request to the first body byte (the engine's start-up), where measured. */
  readonly firstByte?: number
}

/** A GET whose whole body is counted (logs, export, cp download). */
export function download(target: Target, path: string): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const req = request({ ...target, path, agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => (bytes += chunk.byteLength))
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`GET ${path}: ${res.statusCode}`))
        else resolve({ bytes, seconds: (performance.now() - start) / 1000 })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** A POST of `body`, sent in 1 MiB pieces with backpressure (image load). */
export function upload(target: Target, path: string, body: Buffer): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const req = request({
      ...target,
      path,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-tar', 'content-length': body.byteLength },
    }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk))
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300 || text.includes('"error"')) {
          reject(new Error(`POST ${path}: ${res.statusCode} ${text}`))
        } else resolve({ bytes: body.byteLength, seconds: (performance.now() - start) / 1000 })
      })
    })
    req.on('error', reject)
    void (async () => {
      for (let at = 0; at < body.byteLength; at += MB) {
        if (!req.write(body.subarray(at, at + MB))) await new Promise((r) => req.once('drain', r))
      }
      req.end()
    })()
  })
}

/**
 * A download (or with `upload`, a POST of that file as a tar) by curl, a C client: through the proxy
 * alone the bench process's node:http client, which decodes and counts every chunk in JavaScript on
 * the same two cores, read the simulator at 0.7-1.0 GB/s where curl reads it at 2.2-3.3, so it was
 * the limit of every proxy's figure. Time and bytes are curl's own (no process start counted).
 */
export function curlTransfer(target: Target, path: string, upload?: string): Promise<Transfer> {
  const sending = upload
    ? ['-X', 'POST', '-T', upload, '-H', 'content-type: application/x-tar', '-H', 'Expect:']
    : []
  const args = ['-sSf', '-o', '/dev/null', '-w', '%{size_download} %{size_upload} %{time_total}', ...sending]
  const url = `http://${target.host}:${target.port}${path}`
  return new Promise((resolve, reject) => {
    execFile('curl', [...args, url], (error, stdout, stderr) => {
      if (error) return reject(new Error(`curl ${path}: ${stderr || error.message}`))
      const [down, up, seconds] = stdout.split(' ').map(Number) as [number, number, number]
      resolve({ bytes: upload ? up : down, seconds })
    })
  })
}

/** A file of `mb` MiB of zeros (made once, kept in the temp folder) for curl to upload. */
export function zerosFile(mb: number): string {
  const path = `${tmpdir()}/flocker-bench-zeros-${mb}`
  if (!existsSync(path)) writeFileSync(path, Buffer.alloc(mb * MB))
  return path
}

/** Attach raw to a created container, start it, count its output (see http.ts). */
export async function attachTo(target: Target, id: string): Promise<Transfer> {
  return await attachStream(target, id)
}

/** Creates an exec of `cmd` in a running container and counts its output through the hijacked start. */
export async function execOutput(target: Target, container: string, cmd: string[]): Promise<Transfer> {
  const { socket, start } = await startExec(target, await createExec(target, container, cmd))
  let bytes = 0
  let firstByte = 0
  let head = true
  let pending = Buffer.alloc(0)
  const count = (n: number) => {
    if (n && !bytes) firstByte = (performance.now() - start) / 1000
    bytes += n
  }
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      if (head) {
        pending = Buffer.concat([pending, chunk])
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        if (!pending.subarray(0, 12).toString().includes('101')) return reject(new Error(pending.toString()))
        head = false
        count(pending.byteLength - end - 4)
      } else count(chunk.byteLength)
    })
    socket.on('end', resolve)
    socket.on('error', reject)
  })
  socket.destroy()
  return { bytes, seconds: (performance.now() - start) / 1000, firstByte }
}

export const mbps = (t: Transfer) => t.bytes / MB / t.seconds

/** An exec of `cmd`, with its output attached, created in a running container: its ID. */
export async function createExec(target: Target, container: string, cmd: string[]): Promise<string> {
  const created = await call(target, 'POST', `/v1.41/containers/${container}/exec`, {
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
  })
  return (JSON.parse(created) as { Id: string }).Id
}

/** A connection of its own with the exec's start (Upgrade: tcp) written; `start`: when it was written. */
export async function startExec(target: Target, id: string): Promise<{ socket: Socket; start: number }> {
  const socket = connect(target.port, target.host)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const body = JSON.stringify({ Detach: false, Tty: false })
  const start = performance.now()
  socket.write(
    `POST /v1.41/exec/${id}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}`,
  )
  return { socket, start }
}
