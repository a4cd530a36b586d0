import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { FeedFormatError } from '../../domain/feeds/kev.js';
import { type OsvRecord, parseOsvDocument } from '../../domain/feeds/osv.js';
import { parseOsvArchive } from '../../domain/feeds/osv-archive.js';
import { storedRelease } from './osv.js';

/**
 * OSV records from what an operator has: osv.dev's whole-ecosystem archive
 * (`<Ecosystem>/all.zip`, one JSON file per record), a directory of record
 * files (an extracted archive), or one JSON file holding a record or an
 * array of records. An archive is a snapshot of its ecosystems; the others
 * are updates.
 */
export interface OsvInput {
  records: OsvRecord[];
  /** The (ecosystem, stored release) pairs a snapshot speaks for (their rows it lacks are removed); undefined for updates. */
  snapshot?: { ecosystem: string; release: string }[];
}

const MAX_ENTRIES = 2_000_000;
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Reads every .json entry of a zip held in memory, one at a time. */
export function zipEntries(bytes: Uint8Array): Promise<{ name: string; text: string }[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, strictFileNames: true }, (err, zip) => {
      if (err || !zip) return reject(new FeedFormatError('archive', `is not a readable zip file: ${err?.message ?? 'unknown error'}`));
      const out: { name: string; text: string }[] = [];
      zip.on('error', (e) => reject(new FeedFormatError('archive', `is damaged: ${e.message}`)));
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (out.length >= MAX_ENTRIES) return reject(new FeedFormatError('archive', `holds more than ${MAX_ENTRIES} entries`));
        if (!entry.fileName.endsWith('.json')) return zip.readEntry();
        if (entry.uncompressedSize > MAX_ENTRY_BYTES) return reject(new FeedFormatError(entry.fileName, `is larger than ${MAX_ENTRY_BYTES} bytes`));
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(new FeedFormatError(entry.fileName, `cannot be read: ${e?.message}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', (se) => reject(new FeedFormatError(entry.fileName, `cannot be read: ${se.message}`)));
          stream.on('end', () => {
            out.push({ name: entry.fileName, text: Buffer.concat(chunks).toString('utf8') });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

function snapshotOf(records: readonly OsvRecord[]): { ecosystem: string; release: string }[] {
  const keys = new Set(records.flatMap((r) => r.affected.flatMap((a) => (a.ecosystem ? [`${a.ecosystem}\u0000${storedRelease(a)}`] : []))));
  return [...keys].sort().map((k) => {
    const [ecosystem, release] = k.split('\u0000') as [string, string];
    return { ecosystem, release };
  });
}

/** A downloaded or uploaded payload: a zip archive (snapshot) or JSON (update). */
export async function osvFromPayload(payload: Uint8Array | string | unknown): Promise<OsvInput> {
  if (payload instanceof Uint8Array && isZip(payload)) {
    const { records } = parseOsvArchive(await zipEntries(payload));
    if (records.length === 0) throw new FeedFormatError('archive', 'holds no OSV records');
    return { records, snapshot: snapshotOf(records) };
  }
  let doc = payload;
  if (payload instanceof Uint8Array || typeof payload === 'string') {
    const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new FeedFormatError('document', `is neither a zip archive nor JSON: ${(err as Error).message}`);
    }
  }
  return { records: parseOsvDocument(doc).records };
}

/** A directory of record files (an extracted all.zip): an update, since it may be partial. */
export function osvFromDirectory(dir: string): OsvInput {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  if (names.length === 0) throw new FeedFormatError(dir, 'holds no .json files');
  if (names.length > MAX_ENTRIES) throw new FeedFormatError(dir, `holds more than ${MAX_ENTRIES} files`);
  return { records: parseOsvArchive(names.map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), 'utf8') }))).records };
}
