/** A small RFC 4180 reader for previewing the first rows of a CSV file; the server does the real parsing. */
export function previewCsv(text: string, maxRows: number): { header: string[]; rows: string[][]; more: boolean } {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(cell);
      cell = '';
      if (row.some((x) => x !== '')) records.push(row);
      row = [];
      if (records.length > maxRows + 1) break;
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    if (row.some((x) => x !== '')) records.push(row);
  }
  const [header = [], ...rows] = records;
  return { header, rows: rows.slice(0, maxRows), more: rows.length > maxRows };
}
