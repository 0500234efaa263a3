import { spawn } from 'node:child_process'

export interface RunResult {
  readonly code: number | null
  readonly stdout: Buffer
  readonly stderr: Buffer
  /** stdout as text. */
  readonly out: string
  /** stderr as text. */
  readonly err: string
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>
  /** Bytes written to stdin, then stdin is closed (EOF). Without it stdin is closed at once. */
  readonly input?: string | Uint8Array
  /** Kill the command after this many ms (a hung test must fail, not hang CI). */
  readonly timeout?: number
  readonly cwd?: string
}

/** Runs a command to completion and collects its output as bytes. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk) => out.push(chunk))
    child.stderr.on('data', (chunk) => err.push(chunk))
    child.stdin.on('error', () => {})
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(out)
      const stderr = Buffer.concat(err)
      resolve({ code, stdout, stderr, out: stdout.toString(), err: stderr.toString() })
    })
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
  })
}
