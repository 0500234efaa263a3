import type { TlsFiles } from '../runtime/types.ts'

/** Reads docker's TLS layout (ca.pem, cert.pem, key.pem) from a directory, as DOCKER_CERT_PATH. */
export async function readTlsDirectory(
  directory: string,
  readTextFile: (path: string) => Promise<string>,
  verify = true,
): Promise<TlsFiles> {
  const read = (name: string) => readTextFile(`${directory}/${name}`).catch(() => undefined)
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')])
  if (!ca && !cert && !key) throw new Error(`no ca.pem, cert.pem or key.pem in ${directory}`)
  return { ca, cert, key, insecure: !verify }
}
