import type { DockerRequest } from '../routes/request.ts'

/** The request as if the client had sent this URL (a tenant's filters added): upstream paths follow it. */
export function withUrl(req: DockerRequest, url: URL): DockerRequest {
  return {
    ...req,
    url,
    upstreamPath(path, query) {
      const search = query ? (query.size ? `?${query}` : '') : url.search
      return `${req.versionPrefix}${path}${search}`
    },
  }
}
