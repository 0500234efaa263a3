import type { Handler } from '../context.ts'
import { answerDiskUsage } from '../system/disk-usage.ts'
import { answerEvents } from '../system/events.ts'
import { answerInfo } from '../system/info.ts'
import { answerPing } from '../system/ping.ts'
import { answerVersion } from '../system/version.ts'
import type { SystemEndpoint } from '../table.ts'

const answers: Record<SystemEndpoint, Handler> = {
  ping: answerPing,
  version: answerVersion,
  info: answerInfo,
  events: answerEvents,
  df: answerDiskUsage,
}

/** The answers flocker gives for the flock as a whole (routes/system/ has one file each). */
export function system(endpoint: SystemEndpoint): Handler {
  return answers[endpoint]
}
