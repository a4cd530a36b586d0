/** Plain text tables for terminals; --json prints the API's JSON instead. */
export function table(rows: Record<string, unknown>[], columns: { key: string; label: string; max?: number }[]): string {
  const cell = (v: unknown, max = 40) => {
    const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
    // Control characters from stored data never reach the terminal as escapes.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
    const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
    return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
  };
  const data = rows.map((r) => columns.map((c) => cell(c.key.split('.').reduce<any>((o, k) => o?.[k], r), c.max)));
  const widths = columns.map((c, i) => Math.max(c.label.length, ...data.map((d) => (d[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns.map((c) => c.label)), line(widths.map((w) => '-'.repeat(w))), ...data.map(line)].join('\n');
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}
