import { nodeSpec } from '../config.ts'
import type { HostSpec } from '../flock/flock.ts'
import type { Platform } from '../runtime/types.ts'
import type { Settings } from './resolve.ts'

/** The hosts of the settings (flags, env and config file together); the local docker when none is given. */
export async function hostSpecs(settings: Settings, platform: Platform): Promise<HostSpec[]> {
  const specs = await Promise.all(settings.node.map((entry) => nodeSpec(entry, platform, settings.tlscerts)))
  return specs.length ? specs : [await localDocker(platform)]
}

/** `$DOCKER_HOST` (with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), else /var/run/docker.sock. */
function localDocker(platform: Platform): Promise<HostSpec> {
  const url = platform.env('DOCKER_HOST') || 'unix:///var/run/docker.sock'
  const certs = platform.env('DOCKER_CERT_PATH')
  const tlsVerify = Boolean(platform.env('DOCKER_TLS_VERIFY'))
  const https = url.replace(/^tcp:\/\//, tlsVerify || certs ? 'https://' : 'tcp://')
  return nodeSpec(
    { name: 'local', url: https, certPath: tlsVerify || certs ? certs : undefined, tlsVerify },
    platform,
  )
}
