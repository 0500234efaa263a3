import { isLoopbackName } from './host-header.ts'

/**
 * Who may reach the listener decides who is root on the flock. A TCP address other than loopback
 * needs a lock: TLS with client verification (`--tlsverify`) or tokens. Without one, flocker
 * refuses to start unless told `--allow-insecure-tcp`, and then says loudly what it means.
 */
export interface ListenerLocks {
  readonly tlsVerify: boolean
  readonly tokens: boolean
  readonly allowInsecureTcp: boolean
}

export interface ListenAddress {
  readonly kind: 'tcp' | 'unix'
  readonly host?: string
}

/** Warnings to print; throws when an address would be open to the network without a lock. */
export function checkListenLocks(addresses: readonly ListenAddress[], locks: ListenerLocks): string[] {
  const open = addresses.filter((a) => a.kind === 'tcp' && !isLoopbackName(a.host ?? ''))
  if (!open.length || locks.tlsVerify || locks.tokens) return []
  const where = open.map((a) => a.host).join(', ')
  if (!locks.allowInsecureTcp) {
    throw new Error(
      `refusing to listen on ${where} without TLS client verification or tokens: anyone who reaches ` +
        `it would be root on every host of the flock. Use --tlsverify (with --tlscacert, --tlscert, ` +
        `--tlskey), or tokens in the config file, or --allow-insecure-tcp if the network is trusted`,
    )
  }
  return [
    `WARNING: listening on ${where} with no TLS client verification and no tokens ` +
    `(--allow-insecure-tcp): anyone who can reach this address is root on every host of the flock`,
  ]
}

/** The listener's settings, as dockerd names them (flags and config keys alike). */
export interface ListenerSettings {
  readonly tls?: boolean
  readonly tlsverify?: boolean
  readonly tlscacert?: string
  readonly tlscert?: string
  readonly tlskey?: string
  readonly allowInsecureTcp?: boolean
  /** The unix socket's group: a name or a numeric id. */
  readonly group?: string
}

export interface ResolvedListener {
  readonly tls?: { cert: string; key: string; ca?: string; verifyClients: boolean }
  readonly socketGroup?: number
  readonly warnings: string[]
}

/** Reads the certificate files and the group, and checks the locks; throws what is wrong. */
export async function resolveListener(
  settings: ListenerSettings,
  addresses: readonly ListenAddress[],
  tokens: boolean,
  readTextFile: (path: string) => Promise<string>,
): Promise<ResolvedListener> {
  const verify = settings.tlsverify === true
  const wantsTls = verify || settings.tls === true
  const read = async (what: string, path: string | undefined) => {
    if (!path) throw new Error(`${verify ? '--tlsverify' : '--tls'} needs --${what}`)
    try {
      return await readTextFile(path)
    } catch (error) {
      throw new Error(`cannot read --${what} ${path}: ${(error as Error).message}`)
    }
  }
  const tls = wantsTls
    ? {
      cert: await read('tlscert', settings.tlscert),
      key: await read('tlskey', settings.tlskey),
      ca: verify ? await read('tlscacert', settings.tlscacert) : undefined,
      verifyClients: verify,
    }
    : undefined
  const warnings = checkListenLocks(addresses, {
    tlsVerify: verify,
    tokens,
    allowInsecureTcp: settings.allowInsecureTcp === true,
  })
  const socketGroup = settings.group === undefined ? undefined : await groupId(settings.group, readTextFile)
  return { tls, socketGroup, warnings }
}

/** A group name (looked up in /etc/group) or a numeric id. */
async function groupId(group: string, readTextFile: (path: string) => Promise<string>): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group)
  const line = (await readTextFile('/etc/group')).split('\n').find((l) => l.split(':')[0] === group)
  const id = line?.split(':')[2]
  if (!id) throw new Error(`--group ${group}: no such group`)
  return Number(id)
}
