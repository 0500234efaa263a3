/**
 * One line per request: who (identity), from where (client address), what (route), the decision
 * (allowed, or the rule that denied it) and the host it went to. Values are quoted when they hold
 * spaces or quotes, so the line splits unambiguously (logfmt).
 */
export interface AuditRecord {
  readonly identity: string
  readonly client?: string
  /** `POST /containers/create` (the table's template), or the raw path when no route matched. */
  readonly route: string
  /** `allowed`, or `denied:RULE` (`denied:privileged`, `denied:group:exec`, `refused:400`). */
  readonly decision: string
  /** The host(s) it went to, when any. */
  readonly hosts?: readonly string[]
  readonly status?: number
  readonly ms?: number
}

export function auditLine(record: AuditRecord): string {
  const fields: [string, string | number | undefined][] = [
    ['identity', record.identity],
    ['client', record.client],
    ['route', record.route],
    ['decision', record.decision],
    ['host', record.hosts?.length ? record.hosts.join(',') : undefined],
    ['status', record.status],
    ['ms', record.ms],
  ]
  return `audit ${
    fields.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${quote(String(value))}`)
      .join(' ')
  }`
}

function quote(value: string): string {
  return /^[\w./:@,=-]+$/.test(value) ? value : JSON.stringify(value)
}
