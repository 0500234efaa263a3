/**
 * On Deno, flocker needs the network, its FLOCKER_* and DOCKER_* variables and to read its config.
 * Without them Deno would stop at the first variable read with a message about that one variable;
 * instead, before anything runs, one line says which flag to add.
 */
export function denoPermissionHint(): string | undefined {
  const deno = (globalThis as {
    Deno?: {
      permissions?: { querySync?(descriptor: { name: string; variable?: string }): { state: string } }
    }
  }).Deno
  const query = deno?.permissions?.querySync
  if (!query) return undefined
  const needed = [
    { name: 'net' },
    { name: 'env', variable: 'FLOCKER_CONFIG' },
    { name: 'env', variable: 'DOCKER_HOST' },
  ]
  const missing = needed.filter((descriptor) => query.call(deno!.permissions, descriptor).state !== 'granted')
  if (!missing.length) return undefined
  return 'flocker: Deno has not granted the network and FLOCKER_*/DOCKER_* variables: add -P to use the ' +
    'permission set of deno.json (deno run -P mod.ts, or deno task start)'
}
