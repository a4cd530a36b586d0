/**
 * osv.dev's whole-ecosystem archives
 * (https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip)
 * hold one JSON record per file. Reading the zip is the caller's job; this
 * takes the extracted files. Pure: no I/O.
 *
 * By default the archive is all-or-nothing: the first malformed file throws
 * a FeedFormatError naming it. With `tolerateErrors` each bad file is reported
 * in `errors` and the others are returned.
 */
import { FeedFormatError } from './kev.js';
import { type OsvRecord, type OsvStats, osvStats, parseOsvRecord } from './osv.js';

export interface OsvArchiveEntry {
  name: string;
  text: string;
}

export interface OsvArchive {
  records: OsvRecord[];
  errors: { name: string; message: string }[];
  /** Entries that are not JSON files (directories, a README). */
  skipped: string[];
  stats: OsvStats;
}

export function parseOsvArchive(entries: Iterable<OsvArchiveEntry>, opts: { tolerateErrors?: boolean } = {}): OsvArchive {
  const records: OsvRecord[] = [];
  const errors: OsvArchive['errors'] = [];
  const skipped: string[] = [];
  const fileOf = new Map<string, string>();
  for (const { name, text } of entries) {
    if (!/\.json$/i.test(name)) {
      skipped.push(name);
      continue;
    }
    try {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new FeedFormatError(name, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      const r = parseOsvRecord(doc, name);
      const first = fileOf.get(r.id);
      if (first !== undefined) throw new FeedFormatError(`${name}: ${r.id}/id`, `${r.id} appears twice (also in ${first})`);
      fileOf.set(r.id, name);
      records.push(r);
    } catch (e) {
      if (!(e instanceof FeedFormatError) || !opts.tolerateErrors) throw e;
      errors.push({ name, message: e.message });
    }
  }
  return { records, errors, skipped, stats: osvStats(records) };
}
