/**
 * A flock of fake engines in a process of its own (so it does not share an event loop with what
 * it measures): `node --import tsx tests/support/fake-flock-process.ts HOSTS CONTAINERS` prints one line of
 * JSON, the engines' URLs, and serves until killed.
 */
import { startFakeEngines } from './fake-engine.ts'

const [hosts = 500, containers = 100] = process.argv.slice(2).map(Number)
const engines = await startFakeEngines(hosts)
const hex = (n: number) => n.toString(16).padStart(8, '0')
for (const [h, engine] of engines.entries()) {
  for (let i = 0; i < containers; i++) {
    engine.add(`${hex(h)}${hex(i)}`, `${engine.name}-c${i}`, Date.now() / 1000 - i)
  }
}
console.log(JSON.stringify(engines.map((engine) => ({ name: engine.name, url: engine.url }))))
