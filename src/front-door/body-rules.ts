import { bindSource, isUnder } from './host-paths.ts'

/**
 * The rules on what a body (or query) asks of an engine, judged on the body as dockerd reads it
 * (parsed with parseGoJson, keys canonical). Each rule has a name, which a denial states and a
 * grant relaxes.
 */
export const RULES = [
  'privileged',
  'hostNamespaces',
  'bindMounts',
  'capabilities',
  'devices',
  'unconfined',
  'remoteSources',
] as const
export type RuleName = (typeof RULES)[number]

/** What a grant allows beyond the rules' defaults (everything here is refused unless allowed). */
export interface RuleAllowances {
  readonly privileged?: boolean
  readonly hostNamespaces?: boolean
  /** Host directories that bind mounts (Binds, Mounts, local volumes with `device`) may use. */
  readonly bindPaths?: readonly string[]
  /** Capabilities that may be added (`NET_ADMIN`; `ALL` for any). */
  readonly capabilities?: readonly string[]
  readonly devices?: boolean
  /** seccomp/apparmor unconfined, label=disable, unmasked /proc paths. */
  readonly unconfined?: boolean
  /** `docker import URL` (fromSrc) and `docker build URL` (remote): every host fetches the URL. */
  readonly remoteSources?: boolean
}

export interface Violation {
  readonly rule: RuleName
  /** Where in the request: `HostConfig.Privileged`, `query fromSrc`. */
  readonly field: string
  readonly value: string
}

/** Which body a route carries, as far as the rules are concerned. */
export type BodyKind = 'create' | 'exec' | 'update' | 'start' | 'volume-create' | 'image-create' | 'build'

type Json = Record<string, unknown>

export function judge(
  kind: BodyKind,
  body: unknown,
  query: URLSearchParams,
  allow: RuleAllowances,
): Violation[] {
  const found: Violation[] = []
  const add = (rule: RuleName, field: string, value: unknown) => {
    found.push({
      rule,
      field,
      value: typeof value === 'string' ? value : JSON.stringify(value) ?? String(value),
    })
  }
  const object = isObject(body) ? body : {}
  switch (kind) {
    case 'create':
      judgeHostConfig(isObject(object.HostConfig) ? object.HostConfig : {}, 'HostConfig.', allow, add)
      break
    case 'start': // API 1.23 and older: the start body is a HostConfig, and engines still honour it
      judgeHostConfig(object, 'HostConfig.', allow, add)
      break
    case 'update':
      judgeDevices(object, '', allow, add)
      break
    case 'exec':
      if (!allow.privileged && truthy(object.Privileged)) add('privileged', 'Privileged', object.Privileged)
      break
    case 'volume-create':
      judgeDeviceOption(object.DriverOpts, 'DriverOpts.device', allow, add)
      break
    case 'image-create': {
      const source = query.get('fromSrc')
      if (!allow.remoteSources && source && source !== '-') add('remoteSources', 'query fromSrc', source)
      break
    }
    case 'build': {
      const remote = query.get('remote')
      if (!allow.remoteSources && remote) add('remoteSources', 'query remote', remote)
      break
    }
  }
  return found
}

type Add = (rule: RuleName, field: string, value: unknown) => void

const HOST_MODES = ['NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode']

/** Docker's default capability set: naming one of these in `Capabilities` adds nothing. */
const DEFAULT_CAPABILITIES = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
])

function judgeHostConfig(host: Json, at: string, allow: RuleAllowances, add: Add) {
  if (!allow.privileged && truthy(host.Privileged)) add('privileged', `${at}Privileged`, host.Privileged)
  if (!allow.hostNamespaces) {
    for (const mode of HOST_MODES) {
      const value = host[mode]
      if (typeof value === 'string' && value.trim().toLowerCase() === 'host') {
        add('hostNamespaces', at + mode, value)
      }
    }
  }
  const paths = allow.bindPaths ?? []
  for (const [i, entry] of list(host.Binds).entries()) {
    const source = typeof entry === 'string' ? bindSource(entry) : null
    if (source !== null && !isUnder(source, paths)) add('bindMounts', `${at}Binds[${i}]`, entry)
  }
  for (const [i, mount] of list(host.Mounts).entries()) {
    if (!isObject(mount)) continue
    const type = typeof mount.Type === 'string' ? mount.Type.toLowerCase() : ''
    if (type === 'bind' && !(typeof mount.Source === 'string' && isUnder(mount.Source, paths))) {
      add('bindMounts', `${at}Mounts[${i}].Source`, mount.Source)
    }
    const driver = isObject(mount.VolumeOptions) && isObject(mount.VolumeOptions.DriverConfig)
      ? mount.VolumeOptions.DriverConfig
      : undefined
    judgeDeviceOption(
      driver?.Options,
      `${at}Mounts[${i}].VolumeOptions.DriverConfig.Options.device`,
      allow,
      add,
    )
  }
  judgeCapabilities(host, at, allow, add)
  judgeDevices(host, at, allow, add)
  if (!allow.unconfined) {
    for (const option of list(host.SecurityOpt)) {
      if (typeof option === 'string' && isUnconfined(option)) add('unconfined', `${at}SecurityOpt`, option)
    }
    for (const field of ['MaskedPaths', 'ReadonlyPaths']) {
      if (host[field] !== undefined && host[field] !== null) add('unconfined', at + field, host[field])
    }
  }
}

function judgeCapabilities(host: Json, at: string, allow: RuleAllowances, add: Add) {
  const allowed = new Set((allow.capabilities ?? []).map(capabilityName))
  const permitted = (cap: unknown) => allowed.has('ALL') || allowed.has(capabilityName(String(cap)))
  for (const cap of list(host.CapAdd)) if (!permitted(cap)) add('capabilities', `${at}CapAdd`, cap)
  for (const cap of list(host.Capabilities)) {
    if (!DEFAULT_CAPABILITIES.has(capabilityName(String(cap))) && !permitted(cap)) {
      add('capabilities', `${at}Capabilities`, cap)
    }
  }
}

function judgeDevices(host: Json, at: string, allow: RuleAllowances, add: Add) {
  if (allow.devices) return
  for (const field of ['Devices', 'DeviceCgroupRules', 'DeviceRequests']) {
    if (list(host[field]).length) add('devices', at + field, host[field])
  }
}

/** The local volume driver mounts `device` (`o=bind` makes it a bind mount of any host path). */
function judgeDeviceOption(options: unknown, field: string, allow: RuleAllowances, add: Add) {
  if (!isObject(options)) return
  const device = options.device
  if (device === undefined) return
  if (typeof device !== 'string' || !isUnder(device, allow.bindPaths ?? [])) add('bindMounts', field, device)
}

/** `CAP_NET_ADMIN`, `net_admin` -> `NET_ADMIN`. */
function capabilityName(cap: string): string {
  return cap.trim().toUpperCase().replace(/^CAP_/, '')
}

function isUnconfined(option: string): boolean {
  const text = option.trim().toLowerCase().replace(':', '=')
  return ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'systempaths=unconfined']
    .includes(text)
}

/** Go would refuse a non-boolean Privileged; anything but false/null is judged as true, to be safe. */
function truthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
