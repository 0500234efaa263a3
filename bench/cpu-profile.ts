/** Summaries of a V8 .cpuprofile (Node's and Bun's `--cpu-prof`): self time by component and function. */
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Which part of the stack a frame belongs to. */
function componentOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'garbage collection'
  if (name === '(idle)' || name === '(program)' || name === '(root)') return name
  if (url.includes('/@hono/node-server/')) return '@hono/node-server (node req/res ⇄ Request/Response)'
  if (url.includes('/hono/')) return 'hono (router, context)'
  if (url.includes('/valibot/')) return 'valibot'
  if (url.includes('/src/runtime/')) return 'flocker src/runtime (upstream client, streams)'
  if (url.includes('/src/flock/')) return 'flocker src/flock (locate, owners, hosts)'
  if (url.includes('/src/routes/') || url.endsWith('/src/app.ts')) return 'flocker src/routes + app'
  if (url.includes('/src/')) return 'flocker src (other)'
  if (url.includes('/bench/')) return 'bare proxy (its own code)'
  if (url.includes('/node_modules/')) return 'other packages'
  if (
    url.startsWith('node:') || url.startsWith('ext:') || url.startsWith('internal') ||
    /^(node|bun):/.test(url) ||
    url.includes('/internal/')
  ) {
    return 'runtime JS (node:http, streams, net, web streams)'
  }
  if (url === '') return 'native (parser, sockets, builtins)'
  return `other (${url.split('/').slice(-2).join('/')})`
}

/**
 * The profile's busy self time summed by component and by function, per `count` units (requests, or
 * GiB carried): µs per unit, or ms with `inMs`.
 */
export function summarise(profile: CpuProfile, count: number, unit = 'request', inMs = false) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const components = new Map<string, number>()
  const functions = new Map<string, number>()
  let busy = 0
  for (const [id, us] of self) {
    const node = byId.get(id)!
    const { url, functionName, lineNumber } = node.callFrame
    const component = componentOf(url, functionName)
    components.set(component, (components.get(component) ?? 0) + us)
    if (component === '(idle)' || component === '(program)') continue
    busy += us
    const where = url
      ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/').replace(ROOT, '')}:${lineNumber + 1}`
      : 'native'
    const key = `${functionName || '(anonymous)'} ${where}`
    functions.set(key, (functions.get(key) ?? 0) + us)
  }
  const perRequest = (us: number) => (us / count / (inMs ? 1000 : 1)).toFixed(1)
  const per = `${inMs ? 'ms' : 'µs'} per ${unit}`
  const lines = [
    `busy CPU on the main thread: ${(busy / 1000).toFixed(0)} ms over ${count} ${unit}${
      unit === 'GiB' ? '' : 's'
    } = ${perRequest(busy)} ${per}`,
    '',
    `| component | ${per} | share of busy |`,
    '| --- | ---: | ---: |',
  ]
  for (const [name, us] of [...components].sort((a, b) => b[1] - a[1])) {
    if (name === '(idle)') continue
    lines.push(
      `| ${name} | ${perRequest(us)} | ${name === '(program)' ? '' : `${((us / busy) * 100).toFixed(1)}%`} |`,
    )
  }
  lines.push('', `| top functions by self time | ${per} |`, '| --- | ---: |')
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    lines.push(`| \`${name.replace(/\|/g, '\\|')}\` | ${perRequest(us)} |`)
  }
  return lines.join('\n')
}
