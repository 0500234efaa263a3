import { type ChildProcess, spawn } from 'node:child_process'
import { DOCKER } from './docker.ts'
import { HANG } from './raw-http.ts'

/** A docker CLI command left running (attach, logs -f, events...) while a test does something else. */
export interface Background {
  readonly child: ChildProcess
  /** stdout and stderr so far. */
  out(): string
  /** The exit code (null: killed by a signal); rejects if the command still runs HANG ms after `ends` was asked. */
  ends(): Promise<number | null>
  /** Resolves once the output contains `text` (rejects after HANG). */
  prints(text: string | RegExp): Promise<void>
  kill(): void
}

/** Starts `docker ARGS` against `host` and leaves it running; stdin stays open until the test ends it. */
export function background(host: string, args: readonly string[], options: { readStdout?: boolean } = {}) {
  const child = spawn(DOCKER, args, {
    env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  child.stdin!.on('error', () => {})
  if (options.readStdout !== false) child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const within = <T>(what: string, promise: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`docker ${args.join(' ')}: ${what} not within ${HANG} ms; output:\n${output}`)),
        HANG,
      )
      promise.then(resolve, reject).finally(() => clearTimeout(timer))
    })
  const background: Background = {
    child,
    out: () => output,
    ends: () => within('the end', exit),
    prints: (text) =>
      within(
        `"${text}"`,
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (typeof text === 'string' ? output.includes(text) : text.test(output)) {
              cleanup()
              resolve()
            }
          }
          const exited = () => {
            cleanup()
            reject(new Error(`docker ${args.join(' ')} exited before printing "${text}":\n${output}`))
          }
          const cleanup = () => {
            child.stdout!.off('data', check)
            child.stderr!.off('data', check)
            child.off('close', exited)
          }
          if (options.readStdout !== false) child.stdout!.on('data', check)
          child.stderr!.on('data', check)
          child.once('close', exited)
          check()
        }),
      ),
    kill: () => void child.kill('SIGKILL'),
  }
  return background
}
