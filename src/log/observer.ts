import type { FlockerObserver, RequestRecord } from '../observe/observer.ts'
import { log } from './logger.ts'

const requests = log('request')
const hijacks = log('hijack')
const health = log('health')
const placements = log('placement')

/**
 * The log lines of a running flocker: one per request and two per hijacked stream (when `requests`
 * is on: `--log-requests`), health changes, placements. Each line carries its fields as properties,
 * so `--log-format json` gives them as keys.
 */
export function logObserver(options: { readonly requests: boolean }): FlockerObserver {
  return {
    get requests(): 'all' | 'errors' {
      return options.requests ? 'all' : 'errors'
    },
    request(record) {
      if (!options.requests && record.status < 500) return
      const line = '{method} {path} {status} {durationMs}ms id={id} client={client} identity={identity} ' +
        'route={kind}:{route} hosts={hosts} in={bytesIn} out={bytesOut}{note}'
      const fields = requestFields(record)
      if (record.status >= 500) requests.warn(line, fields)
      else requests.info(line, fields)
    },
    hijackOpen(record) {
      if (!options.requests) return
      hijacks.info('hijack open id={requestId} route={route} host={host} client={client}', { ...record })
    },
    hijackClose(record) {
      if (!options.requests) return
      hijacks.info(
        'hijack closed id={requestId} host={host} in={bytesIn} out={bytesOut} {durationMs}ms',
        { ...record, durationMs: Math.round(record.durationMs) },
      )
    },
    health(change) {
      const fields = { ...change, error: change.error ?? '' }
      const line = 'host {host} ({address}) {from} -> {to}{detail}'
      const detail = change.error && change.to === 'unhealthy' ? `: ${change.error}` : ''
      if (change.to === 'unhealthy') health.warn(line, { ...fields, detail })
      else health.info(line, { ...fields, detail })
    },
    placement(record) {
      const what = record.name ? `${record.kind} ${record.name}` : record.kind
      if (record.outcome === 'refused') {
        placements.warn('{what} ({image}) refused: {reason}', { ...record, what, image: record.image ?? '' })
      } else {
        placements.info('{what} ({image}) -> {host} by {by}: {reason}', {
          ...record,
          what,
          image: record.image ?? '',
        })
      }
    },
  }
}

function requestFields(record: RequestRecord) {
  return {
    ...record,
    started: record.started.toISOString(),
    client: record.client ?? '-',
    identity: record.identity ?? '-',
    route: record.route ?? '-',
    hosts: record.hosts.join(',') || '-',
    durationMs: Math.round(record.durationMs * 10) / 10,
    note: record.aborted ? ' (client left)' : record.error ? ` error=${record.error}` : '',
  }
}
