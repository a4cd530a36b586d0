import { CVE_ID_RE, FeedFormatError, isIsoDate } from './kev.js';

/**
 * FIRST EPSS daily scores (CSV, published gzipped):
 *   #model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z
 *   cve,epss,percentile
 *   CVE-1999-0001,0.0142,0.7991
 * Files before 2022 have no comment line; their score date then comes from
 * the caller (the file name or the download date).
 */
export interface EpssScores {
  modelVersion: string | null;
  /** YYYY-MM-DD, from score_date. */
  scoreDate: string | null;
  cves: string[];
  scores: number[];
  percentiles: number[];
}

const NUMBER_RE = /^(?:0|1|0?\.\d+|[01]\.\d+|\d(?:\.\d+)?[eE]-\d+)$/;

function probability(s: string, line: number, column: string): number {
  const v = Number(s);
  if (!NUMBER_RE.test(s) || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new FeedFormatError(`line ${line}, column ${column}`, `expected a number from 0 to 1, got ${JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}…` : s)}`);
  }
  return v;
}

export function parseEpss(text: string): EpssScores {
  const out: EpssScores = { modelVersion: null, scoreDate: null, cves: [], scores: [], percentiles: [] };
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  let header = false;
  const seen = new Set<string>();
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let row = text.slice(pos, end);
    pos = end + 1;
    line++;
    if (row.endsWith('\r')) row = row.slice(0, -1);
    if (row === '') {
      if (pos < text.length) throw new FeedFormatError(`line ${line}`, 'empty line in the middle of the file');
      continue;
    }
    if (row.length > 200) throw new FeedFormatError(`line ${line}`, `line is ${row.length} characters long; not an EPSS file?`);
    if (!header) {
      if (line === 1 && row.startsWith('#')) {
        for (const part of row.slice(1).split(',')) {
          const i = part.indexOf(':');
          const key = i < 0 ? part.trim() : part.slice(0, i).trim();
          const value = i < 0 ? '' : part.slice(i + 1).trim();
          if (key === 'model_version') out.modelVersion = value || null;
          if (key === 'score_date') {
            const d = value.slice(0, 10);
            if (!isIsoDate(d) || Number.isNaN(Date.parse(value))) throw new FeedFormatError('line 1, score_date', `expected a date, got ${JSON.stringify(value)}`);
            out.scoreDate = d;
          }
        }
        continue;
      }
      if (row.replace(/\s/g, '').toLowerCase() !== 'cve,epss,percentile') {
        throw new FeedFormatError(`line ${line}`, `expected the header "cve,epss,percentile", got ${JSON.stringify(row.slice(0, 60))}`);
      }
      header = true;
      continue;
    }
    const c1 = row.indexOf(',');
    const c2 = c1 < 0 ? -1 : row.indexOf(',', c1 + 1);
    if (c1 < 0 || c2 < 0 || row.indexOf(',', c2 + 1) >= 0) throw new FeedFormatError(`line ${line}`, `expected 3 columns (cve,epss,percentile), got ${row.split(',').length}`);
    const cve = row.slice(0, c1).trim();
    if (!CVE_ID_RE.test(cve)) throw new FeedFormatError(`line ${line}, column cve`, `expected a CVE id, got ${JSON.stringify(cve.slice(0, 40))}`);
    if (seen.has(cve)) throw new FeedFormatError(`line ${line}, column cve`, `${cve} appears twice`);
    seen.add(cve);
    out.cves.push(cve);
    out.scores.push(probability(row.slice(c1 + 1, c2).trim(), line, 'epss'));
    out.percentiles.push(probability(row.slice(c2 + 1).trim(), line, 'percentile'));
  }
  if (!header) throw new FeedFormatError(line === 0 ? 'file' : `line ${line}`, 'no "cve,epss,percentile" header: the file is empty or not an EPSS file');
  if (out.cves.length === 0) throw new FeedFormatError(`line ${line}`, 'the file has a header but no scores');
  return out;
}
