/**
 * The parts of the engine's JSON answers that flocker reads. Docker's API is an open schema: these
 * name only the fields flocker uses (all optional, as an older or newer engine may leave one out),
 * and every other field passes through untouched.
 */

type Labels = Record<string, string>

/** An entry of `GET /containers/json`. */
export interface ContainerSummaryJson {
  Id?: string
  Names?: string[]
  Image?: string
  ImageID?: string
  Created?: number
  State?: string
  Labels?: Labels | null
  [field: string]: unknown
}

/** An entry of `GET /images/json`; `Containers` is -1 when the engine did not count them. */
export interface ImageSummaryJson {
  Id?: string
  RepoTags?: string[] | null
  RepoDigests?: string[] | null
  Created?: number
  Containers?: number
  Labels?: Labels | null
  [field: string]: unknown
}

/** An entry of `GET /volumes` (`{Volumes, Warnings}`), of a network list, or of a plugin list. */
export interface LabelledJson {
  Name?: string
  Labels?: Labels | null
  [field: string]: unknown
}

export interface VolumeListJson {
  Volumes?: LabelledJson[] | null
  Warnings?: string[] | null
  [field: string]: unknown
}

/** `GET /info`. */
export interface InfoJson {
  ID?: string
  Name?: string
  NCPU?: number
  MemTotal?: number
  OperatingSystem?: string
  OSType?: string
  KernelVersion?: string
  ServerVersion?: string
  Labels?: string[] | null
  Containers?: number
  ContainersRunning?: number
  ContainersPaused?: number
  ContainersStopped?: number
  Images?: number
  Warnings?: string[] | null
  Swarm?: Record<string, unknown>
  [field: string]: unknown
}

/** `GET /version`. */
export interface VersionJson {
  Version?: string
  ApiVersion?: string
  MinAPIVersion?: string
  Os?: string
  Components?: { Name: string; [field: string]: unknown }[] | null
  [field: string]: unknown
}

/** `GET /containers/{id}/json`, the parts flocker reads or shows its host in. */
export interface ContainerInspectJson {
  Id?: string
  Name?: string
  Image?: string
  Config?: { Labels?: Labels | null; [field: string]: unknown } | null
  HostConfig?: Record<string, unknown> | null
  [field: string]: unknown
}

/** A message of `GET /events`. */
export interface EventJson {
  Type?: string
  Action?: string
  id?: string
  time?: number
  timeNano?: number
  Actor?: { ID?: string; Attributes?: Labels | null; [field: string]: unknown } | null
  [field: string]: unknown
}

/** `GET /system/df`. */
export interface DiskUsageJson {
  LayersSize?: number
  Images?: LabelledJson[] | null
  Containers?: LabelledJson[] | null
  Volumes?: LabelledJson[] | null
  BuildCache?: unknown[] | null
  [field: string]: unknown
}

/** A prune answer: lists of what went, and the space it freed. */
export interface PruneJson {
  SpaceReclaimed?: number
  [list: string]: unknown
}

/** A message of a pull, push, load or build progress stream. */
export interface ProgressJson {
  id?: string
  status?: string
  stream?: string
  error?: string
  errorDetail?: { message?: string; [field: string]: unknown }
  [field: string]: unknown
}
