import type { VersionJson } from '../../docker/types.ts'
import { highestVersion, lowestVersion } from '../../docker/version.ts'
import { askAll, describeFailures } from '../../flock/ask-all.ts'
import { FLOCKER_VERSION } from '../../version.ts'
import type { FlockerContext } from '../context.ts'
import { noteHost } from '../../observe/scope.ts'
import type { DockerRequest } from '../request.ts'
import { noHostResponse } from '../no-host.ts'
import { MISSING_HOSTS_HEADER } from '../../observe/middleware.ts'
import { checkedHosts } from './checked-hosts.ts'

/** `docker version`: the first host's answer, with the flock's API range and every host's components. */
export async function answerVersion(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const hosts = await checkedHosts(ctx)
  const answers = await askAll(
    hosts,
    (host, signal) => host.json<VersionJson>('/version', { signal }),
    ctx.options.hostTimeout,
  )
  for (const answer of answers) noteHost(req.signal, answer.host.name, 'asked')
  const ok = answers.flatMap((answer) => (answer.ok ? [answer] : []))
  const first = ok[0]?.value
  if (!first) return noHostResponse(ctx)
  const versions = ok.map((answer) => answer.value)
  const body = {
    ...first,
    Platform: { Name: `flocker ${FLOCKER_VERSION} (${hosts.length} hosts)` },
    ApiVersion: lowestVersion(versions.map((v) => String(v.ApiVersion))),
    MinAPIVersion: highestVersion(versions.map((v) => String(v.MinAPIVersion ?? ''))) ?? first.MinAPIVersion,
    Components: [
      { Name: 'flocker', Version: FLOCKER_VERSION, Details: { Hosts: String(hosts.length) } },
      ...ok.flatMap(({ host, value }) =>
        (value.Components ?? []).map((component) => ({
          ...component,
          Name: `${host.name}/${component.Name}`,
        }))
      ),
    ],
  }
  const failures = describeFailures(answers)
  return Response.json(body, { headers: failures ? { [MISSING_HOSTS_HEADER]: failures } : {} })
}
