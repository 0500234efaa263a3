import { JsonProblem, parseJsonAs } from './docker/body.ts'
import { errorText } from './docker/errors.ts'
import * as v from 'valibot'
import { NAME_STYLES } from './docker/refs.ts'
import type { HostSpec } from './flock/host-spec.ts'
import { type LegacyHostSpec, toHostSpec } from './flock/host-spec.ts'
import { STRATEGIES } from './schedule/strategies.ts'
import { readTlsDirectory } from './addresses/tls-directory.ts'
import type { Platform } from './runtime/types.ts'

const NodeEntry = v.union([
  v.string(),
  v.looseObject({
    name: v.optional(v.string()),
    url: v.string(),
    labels: v.optional(v.record(v.string(), v.string())),
    /** A directory with ca.pem, cert.pem, key.pem (docker's DOCKER_CERT_PATH layout). */
    certPath: v.optional(v.string()),
    tlsVerify: v.optional(v.boolean()),
  }),
  // the original flocker's shape
  v.looseObject({
    hostname: v.string(),
    docker: v.string(),
    labels: v.optional(v.record(v.string(), v.string())),
  }),
])

/** The config file (JSON). Every field is optional; flags and env add to it. */
export const ConfigFile = v.looseObject({
  listen: v.optional(v.union([v.string(), v.array(v.string())])),
  nodes: v.optional(v.array(NodeEntry)),
  names: v.optional(v.picklist(NAME_STYLES)),
  requireNames: v.optional(v.boolean()),
  strategy: v.optional(v.picklist(STRATEGIES)),
  health: v.optional(v.looseObject({
    interval: v.optional(v.number()),
    failureThreshold: v.optional(v.number()),
    timeout: v.optional(v.number()),
  })),
  hostTimeout: v.optional(v.number()),
})
export type ConfigFile = v.InferOutput<typeof ConfigFile>
export type NodeEntry = v.InferOutput<typeof NodeEntry>

export async function readConfigFile(path: string, platform: Platform): Promise<ConfigFile> {
  let text: string
  try {
    text = await platform.readTextFile(path)
  } catch (error) {
    throw new Error(`cannot read config file ${path}: ${errorText(error)}`)
  }
  try {
    return parseJsonAs(text, ConfigFile)
  } catch (error) {
    if (!(error instanceof JsonProblem)) throw error
    throw new Error(
      error.reason === 'syntax'
        ? `config file ${path} is not valid JSON: ${error.message}`
        : `config file ${path}: ${error.path || '(top)'}: ${error.message}`,
    )
  }
}

/** A node entry of the config file as a HostSpec, with its certificates read. */
export async function nodeSpec(
  entry: NodeEntry,
  platform: Platform,
  defaultCertPath?: string,
): Promise<HostSpec> {
  if (typeof entry === 'string') return nodeFromFlag(entry, platform, defaultCertPath)
  if ('docker' in entry && 'hostname' in entry) return toHostSpec(entry as LegacyHostSpec)
  const e = entry as {
    name?: string
    url: string
    labels?: Record<string, string>
    certPath?: string
    tlsVerify?: boolean
  }
  const certPath = e.certPath ?? (e.url.startsWith('https://') ? defaultCertPath : undefined)
  const tls = certPath
    ? await readTlsDirectory(certPath, platform.readTextFile, e.tlsVerify ?? true)
    : undefined
  return { name: e.name, url: e.url, labels: e.labels, tls }
}

/** `[NAME=]URL` from --node or FLOCKER_NODES. */
export function nodeFromFlag(text: string, platform: Platform, defaultCertPath?: string): Promise<HostSpec> {
  const { name, url } = toHostSpec(text)
  return nodeSpec({ name, url }, platform, defaultCertPath)
}
