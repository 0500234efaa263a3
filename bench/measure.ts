import { spawn } from 'node:child_process'
import { DOCKER, IMAGE, NET } from '../tests/support/docker.ts'
import { attachStream, call, type Target } from './http.ts'

const MB = 1024 * 1024

/** Creates a container through `target` that writes `mb` MB of zeros, attaches raw, measures MB/s. */
export async function attachFigure(target: Target, mb: number): Promise<number> {
  const created = JSON.parse(
    await call(target, 'POST', '/v1.41/containers/create', {
      Image: IMAGE,
      Cmd: ['head', '-c', String(mb * MB), '/dev/zero'],
      HostConfig: { NetworkMode: 'none' },
    }),
  ) as { Id: string }
  try {
    const { bytes, seconds } = await attachStream(target, created.Id)
    if (bytes < mb * MB) throw new Error(`attach stream ended after ${bytes} of ${mb * MB} bytes`)
    return mb / seconds
  } finally {
    await call(target, 'DELETE', `/v1.41/containers/${created.Id}?force=1`).catch(() => {})
  }
}

/** `docker run --rm -i cat` with `mb` MB piped in and read back: wall-clock MB/s, start-up included. */
export function cliFigure(dockerHost: string, mb: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
      env: { ...process.env, DOCKER_HOST: dockerHost },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const start = performance.now()
    let received = 0
    let errors = ''
    child.stdout.on('data', (chunk: Buffer) => (received += chunk.byteLength))
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk))
    child.stdin.on('error', () => {})
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const seconds = (performance.now() - start) / 1000
      if (code !== 0 || received !== mb * MB) {
        reject(new Error(`docker run -i cat: exit ${code}, ${received} of ${mb * MB} bytes back; ${errors}`))
      } else resolve(mb / seconds)
    })
    void feed(child.stdin, mb)
  })
}

async function feed(stdin: NodeJS.WritableStream, mb: number): Promise<void> {
  const block = Buffer.alloc(MB, 'x')
  for (let i = 0; i < mb; i++) {
    if (!stdin.write(block)) await new Promise((resolve) => stdin.once('drain', resolve))
  }
  stdin.end()
}
