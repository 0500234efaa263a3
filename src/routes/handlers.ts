import type { Handler } from './context.ts'
import { anyHost } from './kinds/any-host.ts'
import { everyHost } from './kinds/every-host.ts'
import { hijacked } from './kinds/hijacked.ts'
import { hostNamed } from './kinds/host-named.ts'
import { merged } from './kinds/merged.ts'
import { refused } from './kinds/refused.ts'
import { routed } from './kinds/routed.ts'
import { scheduled } from './kinds/scheduled.ts'
import { system } from './kinds/system.ts'
import type { Behaviour, Route } from './table.ts'
import { tenantScoped } from '../tenants/scope.ts'
import { containerInspect } from './variants/container-inspect.ts'
import { imageInspect } from './variants/image-inspect.ts'
import { containerRemove } from './variants/container-remove.ts'
import { everyHolder } from './variants/every-holder.ts'
import { execCreate } from './variants/exec-create.ts'
import { followsContainer } from './variants/follows-container.ts'
import { pushByTag } from './variants/push-by-tag.ts'
import { oneHolder } from './variants/one-holder.ts'
import { startHook } from './variants/start-hook.ts'
import { uniqueName } from './variants/unique-name.ts'

/** The handler of a route, chosen once from its behaviour at its first request (not again per request). */
export function handlerFor(route: Route): Handler {
  // A tenant's lists, events, prunes, df, info and creates are narrowed to its own objects.
  return tenantScoped(route.method, route.path, behaviourHandler(route))
}

function behaviourHandler(route: Route): Handler {
  const behaviour: Behaviour = route.behaviour
  switch (behaviour.kind) {
    case 'system':
      return system(behaviour.endpoint)
    case 'merged':
      return merged(behaviour.list)
    case 'routed':
      return routedHandler(behaviour, route.path)
    case 'hijacked':
      return hijacked(behaviour.target, route.path)
    case 'scheduled':
      return scheduled(behaviour.what)
    case 'every-host':
      return everyHost(behaviour.merge, behaviour.targets)
    case 'any-host':
      return anyHost()
    case 'host-named':
      return hostNamed(behaviour.what)
    case 'refused':
      return refused(behaviour.status, behaviour.message)
  }
}

function routedHandler(behaviour: Extract<Behaviour, { kind: 'routed' }>, template: string): Handler {
  const { target, from, variant } = behaviour
  switch (variant) {
    case 'plain':
      return routed(target, from, template, behaviour.download)
    case 'container-inspect':
      return containerInspect()
    case 'image-inspect':
      return imageInspect(from, template)
    case 'container-remove':
      return containerRemove(template)
    case 'exec-create':
      return execCreate(template)
    case 'start-hook':
      return startHook(template)
    case 'every-holder':
      return everyHolder(target === 'network' ? 'network' : 'image', template)
    case 'push-by-tag':
      return pushByTag(template)
    case 'one-holder':
      return oneHolder(template, behaviour.download)
    case 'unique-name':
      return uniqueName(template)
    case 'follows-container':
      return followsContainer(template)
  }
}
