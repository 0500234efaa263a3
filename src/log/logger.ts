import {
  configure,
  getLogger,
  getTextFormatter,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
} from '@logtape/logtape'

export type LogFormat = 'text' | 'json'

export interface LogSettings {
  readonly level: LogLevel
  readonly format: LogFormat
  /** Where each formatted line goes (stderr for the command line), with its level. */
  readonly write: (line: string, level: LogLevel) => void
}

const textFormatter = getTextFormatter({ timestamp: 'rfc3339', value: 'bare' })

/**
 * Sends flocker's log records (category `flocker` and below) to `write`, as text or JSON lines.
 * LogTape is library-first: without this call (flocker used as a library) nothing is printed unless
 * the embedding program configures LogTape itself. Calling it again (a config reload) replaces it.
 */
export async function configureLogging(settings: LogSettings): Promise<void> {
  const formatter = settings.format === 'json' ? jsonLinesFormatter : textFormatter
  await configure({
    reset: true,
    sinks: { out: (record: LogRecord) => settings.write(formatter(record).trimEnd(), record.level) },
    loggers: [
      { category: ['flocker'], lowestLevel: settings.level, sinks: ['out'] },
      { category: ['logtape', 'meta'], lowestLevel: 'warning', sinks: ['out'] },
    ],
  })
}

/** A logger for one part of flocker: `log('request')` logs under `flocker.request`. */
export function log(...category: string[]): Logger {
  return getLogger(['flocker', ...category])
}
