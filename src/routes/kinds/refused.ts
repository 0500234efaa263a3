import { errorResponse } from '../../docker/errors.ts'
import type { Handler } from '../context.ts'

/** Not available through flocker: the engine-style status and reason the table gives. */
export function refused(status: number, message: string): Handler {
  return () => Promise.resolve(errorResponse(status, message))
}
