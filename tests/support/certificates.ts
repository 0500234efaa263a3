import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from './run.ts'

/**
 * A CA, a server certificate for 127.0.0.1/localhost and client certificates (CN = each name), made
 * with openssl. `clientDir(name)` is laid out as docker's DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem.
 */
export async function makeCertificates(dir: string, clients: readonly string[]) {
  const ssl = async (...args: string[]) => {
    const result = await run('openssl', args, { cwd: dir })
    if (result.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.err}`)
  }
  mkdirSync(dir, { recursive: true })
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=door-ca',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  )
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  )
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=flocker',
    '-keyout',
    'server-key.pem',
    '-out',
    'server.csr',
  )
  await ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server-cert.pem',
  )
  for (const name of clients) {
    const sub = join(dir, name)
    mkdirSync(sub, { recursive: true })
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}/key.pem`,
      '-out',
      `${name}/client.csr`,
    )
    await ssl(
      'x509',
      '-req',
      '-in',
      `${name}/client.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'client.ext',
      '-out',
      `${name}/cert.pem`,
    )
    await ssl('x509', '-in', 'ca.pem', '-out', `${name}/ca.pem`)
  }
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server-cert.pem'),
    key: join(dir, 'server-key.pem'),
    clientDir: (name: string) => join(dir, name),
  }
}
