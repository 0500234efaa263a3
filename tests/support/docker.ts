import { run, type RunOptions, type RunResult } from './run.ts'

export const DOCKER = process.env.DOCKER_CLI ?? '/usr/local/bin/docker'

/** The real docker CLI against `host` (a flocker or an engine). */
export function docker(host: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(DOCKER, args, { ...options, env: { DOCKER_HOST: host, DOCKER_BUILDKIT: '0', ...options.env } })
}

/** Like docker(), but a non-zero exit is an error that shows what the CLI said. */
export async function dockerOk(
  host: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await docker(host, args, options)
  if (result.code !== 0) {
    throw new Error(
      `docker ${args.join(' ')} exited ${result.code}\nstdout: ${result.out}\nstderr: ${result.err}`,
    )
  }
  return result.out
}

/** Flags every test container needs on these engines (no bridge). */
export const NET = ['--network', 'none']
export const IMAGE = 'busybox:local'

/** Removes (forcibly) every container whose name starts with `prefix`: a test file's cleanup. */
export async function removeContainers(host: string, prefix: string): Promise<void> {
  const listed = await docker(host, ['ps', '-aq', '--filter', `name=${prefix}`])
  const ids = listed.out.split('\n').filter(Boolean)
  if (ids.length) await docker(host, ['rm', '-f', ...ids])
}

/** The names of the containers (all states) whose name contains `filter`, sorted, as `docker ps -a` lists them. */
export async function containerNames(host: string, filter: string): Promise<string[]> {
  const out = await dockerOk(host, ['ps', '-a', '--filter', `name=${filter}`, '--format', '{{.Names}}'])
  return out.split('\n').filter(Boolean).sort()
}
