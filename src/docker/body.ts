import * as v from 'valibot'
import { badRequest, errorText } from './errors.ts'

/** Why a JSON text was refused: not JSON at all, or JSON of the wrong shape at `path`. */
export class JsonProblem extends Error {
  constructor(readonly reason: 'syntax' | 'shape', readonly path: string, message: string) {
    super(message)
    this.name = 'JsonProblem'
  }
}

/**
 * Parses JSON and checks it against a schema: the one place that does both, so request bodies and
 * the config file report a bad field the same way (valibot's dot path, '' for the whole value).
 */
export function parseJsonAs<S extends v.GenericSchema>(text: string, schema: S): v.InferOutput<S> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new JsonProblem('syntax', '', errorText(error))
  }
  const result = v.safeParse(schema, parsed)
  if (!result.success) {
    const issue = result.issues[0]
    throw new JsonProblem('shape', v.getDotPath(issue) ?? '', issue.message)
  }
  return result.output
}

/**
 * Requests whose body was read whole before a handler ran (the JSON the front door judged), with
 * those bytes: a handler takes them from here rather than through the request's stream, which on
 * Node costs a web stream per request.
 */
const heldBodies = new WeakMap<Request, Uint8Array>()

/** Marks `request` as carrying exactly `bytes`. */
export function holdBody(request: Request, bytes: Uint8Array): Request {
  heldBodies.set(request, bytes)
  return request
}

/** The bytes `request` was made with, when they were read whole before (else its stream is read). */
export function heldBodyOf(request: Request): Uint8Array | undefined {
  return heldBodies.get(request)
}

const decoder = new TextDecoder()

/** Reads a JSON request body and checks it against a (loose) schema; bad input is a 400 as dockerd gives. */
export async function readJsonBody<S extends v.GenericSchema>(
  request: Request,
  schema: S,
  empty: v.InferOutput<S>,
): Promise<v.InferOutput<S>> {
  const held = heldBodies.get(request)
  const text = held ? decoder.decode(held) : await request.text()
  if (!text.trim()) return empty
  try {
    return parseJsonAs(text, schema)
  } catch (error) {
    if (!(error instanceof JsonProblem)) throw error
    throw badRequest(
      error.reason === 'syntax'
        ? `invalid JSON: ${error.message}`
        : `invalid ${error.path || 'body'}: ${error.message}`,
    )
  }
}

const encoder = new TextEncoder()

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}
