import * as v from 'valibot'
import { badRequest, errorText } from './errors.ts'

/** Reads a JSON request body and checks it against a (loose) schema; bad input is a 400 as dockerd gives. */
export async function readJsonBody<S extends v.GenericSchema>(
  request: Request,
  schema: S,
  empty: v.InferOutput<S>,
): Promise<v.InferOutput<S>> {
  const text = await request.text()
  if (!text.trim()) return empty
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw badRequest(`invalid JSON: ${errorText(error)}`)
  }
  const result = v.safeParse(schema, parsed)
  if (!result.success) {
    const issue = result.issues[0]
    const where = v.getDotPath(issue) || 'body'
    throw badRequest(`invalid ${where}: ${issue.message}`)
  }
  return result.output
}

const encoder = new TextEncoder()

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}
