/** Results as sections of rows: one figure per row, a cell per runtime, each with its target. */

export interface Cell {
  readonly text: string
  /** Whether the target is met (undefined: no target, or not measured). */
  readonly met?: boolean
  readonly value?: number
}

export interface Row {
  readonly figure: string
  readonly target: string
  readonly cells: Record<string, Cell>
}

export interface Section {
  readonly title: string
  readonly note: string
  readonly rows: Row[]
}

const mark = (met: boolean | undefined) => met === undefined ? '' : met ? ' ✓' : ' ✗'

export function sectionMarkdown(section: Section, runtimes: readonly string[]): string {
  const lines = [`### ${section.title}`, '', section.note, '']
  lines.push(`| figure | target | ${runtimes.join(' | ')} |`)
  lines.push(`| --- | --- | ${runtimes.map(() => '---:').join(' | ')} |`)
  for (const row of section.rows) {
    const cells = runtimes.map((r) => {
      const cell = row.cells[r]
      return cell ? cell.text + mark(cell.met) : '–'
    })
    lines.push(`| ${row.figure} | ${row.target} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

/** Collects rows keyed by figure, filled in runtime by runtime. */
export class SectionBuilder {
  #rows = new Map<string, { target: string; cells: Record<string, Cell> }>()
  constructor(readonly title: string, readonly note: string) {}

  set(figure: string, target: string, runtime: string, cell: Cell): void {
    let row = this.#rows.get(figure)
    if (!row) this.#rows.set(figure, row = { target, cells: {} })
    row.cells[runtime] = cell
  }

  build(): Section {
    return {
      title: this.title,
      note: this.note,
      rows: [...this.#rows].map(([figure, row]) => ({ figure, ...row })),
    }
  }
}

export const ms = (value: number) => `${value.toFixed(2)} ms`
export const times = (value: number) => `×${value.toFixed(2)}`

/** A ratio cell: `value` shown with what it is relative to, checked against `max` or `min`. */
export function ratioCell(ratio: number, limit: { max?: number; min?: number }, detail = ''): Cell {
  const met = limit.max !== undefined
    ? ratio <= limit.max
    : limit.min !== undefined
    ? ratio >= limit.min
    : undefined
  return { text: `${times(ratio)}${detail ? ` (${detail})` : ''}`, met, value: ratio }
}
