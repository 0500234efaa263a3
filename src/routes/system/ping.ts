import type { FlockerContext } from '../context.ts'
import { noHostResponse } from '../no-host.ts'
import type { DockerRequest } from '../request.ts'
import { checkedHosts, flockApiVersion } from './checked-hosts.ts'

/** `/_ping` for the flock: the API version all usable hosts speak. HEAD (docker CLI 28) gets the headers alone. */
export async function answerPing(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const hosts = await checkedHosts(ctx)
  const apiVersion = flockApiVersion(hosts)
  if (!apiVersion) return noHostResponse(ctx)
  const headers = {
    'API-Version': apiVersion,
    'OSType': hosts[0]!.facts!.osType,
    'Docker-Experimental': 'false',
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    'Pragma': 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
  }
  if (req.method === 'HEAD') {
    return new Response(null, { status: 200, headers: { ...headers, 'Content-Length': '0' } })
  }
  return new Response('OK', { status: 200, headers })
}
