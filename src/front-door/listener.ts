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
