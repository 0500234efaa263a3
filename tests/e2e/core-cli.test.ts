import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { commandFor, freePort, runtimes, spawnUntilListening, V8_FLAGS } from '../support/flocker.ts'
import { run } from '../support/run.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Whether dist/mod.js is newer than every source file it is built from. */
function distIsFresh(): boolean {
  const built = (() => {
    try {
      return Math.min(
        statSync(join(ROOT, 'dist/mod.js')).mtimeMs,
        statSync(join(ROOT, 'dist/bin/flocker.js')).mtimeMs,
      )
    } catch {
      return 0
    }
  })()
  const sources = [
    'mod.ts',
    'package.json',
    'tsconfig.build.json',
    'scripts/bundle.mjs',
    ...readdirSync(join(ROOT, 'src'), { recursive: true })
      .map((file) => join('src', String(file))),
  ]
  return sources.every((file) => statSync(join(ROOT, file)).mtimeMs < built)
}
const engines = enginesForFile(1, {}, { registry: false })
const nodesFlag = () => engines().engines.map((e) => `--node=${e.flag}`)

let work: string
before(() => {
  work = mkdtempSync(join(tmpdir(), 'core-cli-'))
})
after(() => {
  rmSync(work, { recursive: true, force: true })
})

/** Runs the flocker command line to its exit (for flags that make it exit). */
function flockerExits(
  runtime: Parameters<typeof commandFor>[0],
  args: string[],
  env: Record<string, string> = {},
) {
  const [command, base] = commandFor(runtime)
  return run(command, [...base, ...args], { env, timeout: 60_000, cwd: ROOT })
}

for (const runtime of runtimes()) {
  describe(`the command line on ${runtime}`, () => {
    test('--version and --help', async () => {
      const version = await flockerExits(runtime, ['--version'])
      assert.equal(version.code, 0)
      assert.match(version.out, /^flocker \d+\.\d+\.\d+/)
      const help = await flockerExits(runtime, ['--help'])
      assert.equal(help.code, 0)
      assert.match(help.out, /Usage: flocker/)
      assert.match(help.out, /--node/)
    })

    test('a bad flag, a bad node URL and a bad listen address: a clear message and a non-zero exit', async () => {
      const flag = await flockerExits(runtime, ['--frobnicate'])
      assert.equal(flag.code, 2)
      assert.match(flag.err, /unknown flag: --frobnicate/)
      const missing = await flockerExits(runtime, ['--node'])
      assert.equal(missing.code, 2)
      assert.match(missing.err, /--node needs a value/)
      const url = await flockerExits(runtime, ['--node', 'ftp://127.0.0.1:1'])
      assert.equal(url.code, 2)
      assert.match(
        url.err,
        /--node "ftp:\/\/127\.0\.0\.1:1": expected \[NAME=\]URL with tcp:\/\/, unix:\/\/ or https:\/\//,
      )
      const listen = await flockerExits(runtime, ['-H', 'tcp://127.0.0.1', '--node', 'tcp://127.0.0.1:1'])
      assert.equal(listen.code, 2)
      assert.match(listen.err, /--host "tcp:\/\/127\.0\.0\.1": expected tcp:\/\/IP:PORT or unix:\/\/\/PATH/)
    })

    test('a busy or unreachable listen address: a clear message and a non-zero exit', async () => {
      const busy: Server = createServer()
      const port = await new Promise<number>((resolve) =>
        busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port))
      )
      try {
        const result = await flockerExits(runtime, [
          '-H',
          `tcp://127.0.0.1:${port}`,
          '--node',
          'tcp://127.0.0.1:1',
        ])
        assert.equal(result.code, 1)
        assert.match(
          result.err,
          new RegExp(`cannot listen on tcp://127.0.0.1:${port}: .*(EADDRINUSE|in use)`, 'i'),
        )
      } finally {
        busy.close()
      }
      const away = await flockerExits(runtime, [
        '-H',
        'tcp://192.0.2.1:2375',
        '--allow-insecure-tcp',
        '--node',
        'tcp://127.0.0.1:1',
      ])
      assert.equal(away.code, 1)
      assert.match(away.err, /cannot listen on tcp:\/\/192\.0\.2\.1:2375/)
    })

    test('-H unix:///path listens on a socket; FLOCKER_NODES gives the hosts', async () => {
      const socket = join(work, `${runtime}.sock`)
      const [command, base] = commandFor(runtime)
      const flocker = await spawnUntilListening(`flocker on ${runtime}`, command, [
        ...base,
        '-H',
        `unix://${socket}`,
      ], {
        FLOCKER_NODES: engines().engines.map((e) => e.flag).join(','),
      })
      try {
        assert.match(flocker.output(), new RegExp(`listening on unix://${socket}`))
        const out = await dockerOk(`unix://${socket}`, ['run', '--rm', '-i', ...NET, IMAGE, 'cat'], {
          input: 'unix\n',
        })
        assert.equal(out, 'unix\n')
      } finally {
        await flocker.stop()
      }
    })

    test('FLOCKER_HOST gives the listen addresses', async () => {
      const port = await freePort()
      const [command, base] = commandFor(runtime)
      const flocker = await spawnUntilListening(`flocker on ${runtime}`, command, [...base, ...nodesFlag()], {
        FLOCKER_HOST: `tcp://127.0.0.1:${port}`,
      })
      try {
        const out = await dockerOk(`tcp://127.0.0.1:${port}`, [
          'version',
          '--format',
          '{{.Server.APIVersion}}',
        ])
        assert.equal(out.trim(), '1.41')
      } finally {
        await flocker.stop()
      }
    })
  })
}

/** `npm ci` builds dist (the prepare script); build again only if a source changed since. */
async function freshDist(): Promise<void> {
  if (distIsFresh()) return
  const build = await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 180_000 })
  assert.equal(build.code, 0, build.out + build.err)
}

describe('the packaged commands', () => {
  test(
    'the bin (npx flocker) runs Node with its heap flags',
    { skip: !runtimes().includes('node') },
    async () => {
      await freshDist()
      const port = await freePort()
      const flocker = await spawnUntilListening('dist/bin/flocker.js', join(ROOT, 'dist/bin/flocker.js'), [
        '-H',
        `tcp://127.0.0.1:${port}`,
        ...nodesFlag(),
      ])
      try {
        // sh runs the bin's second line, which execs node in its place: the same process.
        const argv = readFileSync(`/proc/${flocker.process.pid}/cmdline`, 'utf8').split('\0')
        assert.deepEqual(argv.slice(0, 1 + V8_FLAGS.length), ['node', ...V8_FLAGS])
        assert.match(flocker.output(), /\(node [^)]*\) listening on tcp:/)
        const out = await dockerOk(`tcp://127.0.0.1:${port}`, ['version', '--format', '{{.Server.Os}}'])
        assert.equal(out, 'linux\n')
      } finally {
        await flocker.stop()
      }
    },
  )

  test('npm start -- ARGS runs the built dist on Node', { skip: !runtimes().includes('node') }, async () => {
    await freshDist()
    // The bin writes the bundle's V8 code cache beside it, at the latest when it stops.
    const codeCache = join(ROOT, 'dist/bin/flocker-main.cjs.cache')
    rmSync(codeCache, { force: true })
    const port = await freePort()
    const flocker = await spawnUntilListening(
      'npm start',
      'npm',
      [
        'start',
        '--',
        '-H',
        `tcp://127.0.0.1:${port}`,
        ...nodesFlag(),
      ],
      {},
      { group: true },
    )
    try {
      assert.match(flocker.output(), /\(node [^)]*\) listening on tcp:/)
      const out = await dockerOk(`tcp://127.0.0.1:${port}`, [
        'run',
        '--rm',
        ...NET,
        IMAGE,
        'echo',
        'from dist',
      ])
      assert.equal(out, 'from dist\n')
    } finally {
      await flocker.stop()
    }
    assert.ok(existsSync(codeCache), 'the code cache is written')
  })
})
