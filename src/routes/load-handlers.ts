import type { Handler } from './context.ts'
import type { Route } from './table.ts'

/**
 * The route table's handlers (routes/handlers.ts: the kinds, their variants, the scheduler, the
 * tenants' scopes, about a third of flocker's own modules) load after start-up: Bun and Deno run the
 * TypeScript and pay for every module loaded before the first answer. /_ping needs none of them. The
 * app waits for `loadHandlers()` before every request but /_ping, as it does for re2js, and starts
 * loading them once the first answer is out.
 */
let loading: Promise<(route: Route) => Handler> | undefined
let loaded = false

export function loadHandlers(): Promise<(route: Route) => Handler> {
  return loading ??= import('./handlers.ts').then((module) => {
    loaded = true
    return module.handlerFor
  })
}

export function handlersLoaded(): boolean {
  return loaded
}
