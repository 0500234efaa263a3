/**
 * Deno has no --cpu-prof flag: this takes the same .cpuprofile through the inspector of a process
 * started with `--inspect=127.0.0.1:PORT`. Run by Deno itself (it has a WebSocket client; Node 20 has
 * none without a flag): it starts V8's sampling profiler, and when its stdin ends stops it and
 * writes the profile to FILE.
 *
 *   deno run -A bench/deno-cpu-prof.ts http://127.0.0.1:PORT FILE   (bench/profile-streams.ts runs it)
 */
interface DenoApi {
  readonly args: string[]
  readonly stdin: { readonly readable: ReadableStream<Uint8Array> }
  writeTextFile(path: string, text: string): Promise<void>
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno
const [inspector, file] = Deno.args as [string, string]
const [target] = await (await fetch(`${inspector}/json/list`)).json() as { webSocketDebuggerUrl: string }[]
const socket = new WebSocket(target!.webSocketDebuggerUrl)
await new Promise((resolve, reject) => {
  socket.onopen = resolve
  socket.onerror = reject
})
let sequence = 0
const waiting = new Map<number, (result: unknown) => void>()
socket.onmessage = (event) => {
  const message = JSON.parse(event.data as string) as { id?: number; result?: unknown }
  if (message.id !== undefined) waiting.get(message.id)?.(message.result)
}
function send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const id = ++sequence
  socket.send(JSON.stringify({ id, method, params }))
  return new Promise((resolve) => waiting.set(id, resolve))
}
await send('Profiler.enable')
// 1 ms, as Node's --cpu-prof-interval default.
await send('Profiler.setSamplingInterval', { interval: 1000 })
await send('Profiler.start')
console.log('profiling')
const stdin = Deno.stdin.readable.getReader()
while (!(await stdin.read()).done) {
  // until the caller closes stdin
}
const { profile } = await send('Profiler.stop') as { profile: unknown }
await Deno.writeTextFile(file, JSON.stringify(profile))
socket.close()
