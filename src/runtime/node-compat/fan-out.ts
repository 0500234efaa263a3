import { Readable } from 'node:stream'

/** What each copy may hold before the source is paused: a few of the client's 64 KiB chunks. */
const COPY_BUFFER = 256 * 1024

/**
 * One readable read by `count` writers (a `docker load` sent to every host): each chunk goes to every
 * copy as the same Buffer (no byte copied), and the source is paused while any copy is full, so the
 * slowest host sets the pace and memory stays at one small buffer per copy. A copy destroyed (its host
 * failed) drops out and the others go on; the source is destroyed when every copy is gone before its end.
 * The source flows from the first read of any copy.
 */
export function fanOut(source: Readable, count: number): Readable[] {
  if (count === 1) return [source]
  const live = new Set<Readable>()
  const full = new Set<Readable>()
  let flowing = false
  const flowIfAllReady = () => {
    if (full.size > 0) return
    if (flowing) return void source.resume()
    flowing = true
    source.on('data', (chunk: Buffer) => {
      for (const copy of live) if (!copy.push(chunk)) full.add(copy)
      if (full.size > 0) source.pause()
    })
  }
  source.once('end', () => {
    for (const copy of live) copy.push(null)
  })
  // `on`: a second 'error' (Deno emits some twice) with no listener would kill the process.
  source.on('error', (error) => {
    for (const copy of live) copy.destroy(error)
  })
  source.once('close', () => {
    if (source.readableEnded) return
    const cut = new Error('the request body was cut before its end')
    for (const copy of live) copy.destroy(cut)
  })
  for (let i = 0; i < count; i++) {
    const copy: Readable = new Readable({
      highWaterMark: COPY_BUFFER,
      read() {
        full.delete(copy)
        flowIfAllReady()
      },
      destroy(error, callback) {
        live.delete(copy)
        full.delete(copy)
        if (live.size === 0 && !source.readableEnded) source.destroy()
        else if (flowing) flowIfAllReady()
        callback(error)
      },
    })
    live.add(copy)
  }
  return [...live]
}
