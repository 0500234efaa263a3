import * as v from 'valibot'

/**
 * The bodies flocker reads. Docker's API is an open schema: every object is loose, so fields
 * flocker does not know pass through unchanged.
 */
export const ContainerCreateBody = v.looseObject({
  Image: v.optional(v.string()),
  Env: v.optional(v.nullable(v.array(v.string()))),
  Labels: v.optional(v.nullable(v.record(v.string(), v.string()))),
  NetworkingConfig: v.optional(v.nullable(v.looseObject({
    EndpointsConfig: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  }))),
  HostConfig: v.optional(v.nullable(v.looseObject({
    Memory: v.optional(v.number()),
    NanoCpus: v.optional(v.number()),
    CpuShares: v.optional(v.number()),
    VolumesFrom: v.optional(v.nullable(v.array(v.string()))),
    Links: v.optional(v.nullable(v.array(v.string()))),
    NetworkMode: v.optional(v.string()),
    PortBindings: v.optional(v.nullable(v.record(
      v.string(),
      v.nullable(v.array(v.looseObject({
        HostIp: v.optional(v.string()),
        HostPort: v.optional(v.string()),
      }))),
    ))),
  }))),
})
export type ContainerCreateBody = v.InferOutput<typeof ContainerCreateBody>

export const ContainerStartBody = v.nullable(v.looseObject({}))
export type ContainerStartBody = v.InferOutput<typeof ContainerStartBody>

/** `POST /networks/{id}/connect` and `/disconnect`: the container to join or leave. */
export const NetworkMembershipBody = v.looseObject({
  Container: v.string(),
})

/** `POST /networks/create` and `/volumes/create`: the name, which may name a host (`node2/x`). */
export const NamedCreateBody = v.looseObject({
  Name: v.optional(v.nullable(v.string())),
})
export type NamedCreateBody = v.InferOutput<typeof NamedCreateBody>
