import { errorText } from './docker/errors.ts'
import * as v from 'valibot'
import type { HostSpec } from './flock/flock.ts'
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
  v.looseObject({ hostname: v.string(), docker: v.string() }),
])

/** The config file (JSON). Every field is optional; flags and env add to it. */
export const ConfigFile = v.looseObject({
  listen: v.optional(v.union([v.string(), v.array(v.string())])),
  nodes: v.optional(v.array(NodeEntry)),
  names: v.optional(v.picklist(['plain', 'at', 'slash'])),
  requireNames: v.optional(v.boolean()),
  strategy: v.optional(v.picklist(['spread', 'binpack', 'random'])),
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
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(
      `config file ${path} is not valid JSON: ${errorText(error)}`,
    )
  }
  const result = v.safeParse(ConfigFile, json)
  if (!result.success) {
    const issue = result.issues[0]
    const where = v.getDotPath(issue) || '(top)'
    throw new Error(`config file ${path}: ${where}: ${issue.message}`)
  }
  return result.output
}

/** A node entry of the config file as a HostSpec, with its certificates read. */
export async function nodeSpec(
  entry: NodeEntry,
  platform: Platform,
  defaultCertPath?: string,
): Promise<HostSpec> {
  if (typeof entry === 'string') return nodeFromFlag(entry, platform, defaultCertPath)
  if ('docker' in entry && 'hostname' in entry) {
    return { name: String(entry.hostname), url: String(entry.docker) }
  }
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
  const eq = text.indexOf('=')
  const scheme = text.indexOf('://')
  const [name, url] = eq > 0 && (scheme < 0 || eq < scheme)
    ? [text.slice(0, eq), text.slice(eq + 1)]
    : [undefined, text]
  return nodeSpec({ name, url }, platform, defaultCertPath)
}
