/**
 * Helpers shared by the JSON scanner importer tests (pure; imported only by
 * *.test.ts files).
 */
import fc from 'fast-check';
import { type ReportFinding, type ReportInput, type ReportMeta, type ReportParser, type ReportTarget, ScanFormatError } from './report.js';

export interface Collected {
  meta: ReportMeta;
  /** Every sink.target call, in order. */
  calls: { target: ReportTarget; findings: ReportFinding[] }[];
  findings: ReportFinding[];
  skips: Record<string, number>;
}

export async function collect(parser: ReportParser, input: ReportInput): Promise<Collected> {
  const calls: Collected['calls'] = [];
  const skips: Record<string, number> = {};
  const meta = await parser(input, {
    target(target, findings) {
      calls.push({ target, findings });
    },
    skip(reason, count = 1) {
      skips[reason] = (skips[reason] ?? 0) + count;
    },
  });
  return { meta, calls, findings: calls.flatMap((c) => c.findings), skips };
}

/** The text as UTF-8 chunks cut at the given byte offsets. */
export function chunked(text: string, cuts: number[]): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
}

/** The ScanFormatError a parse throws; fails the test when it succeeds or throws anything else. */
export async function formatError(parser: ReportParser, input: ReportInput): Promise<ScanFormatError> {
  try {
    await collect(parser, input);
  } catch (err) {
    if (err instanceof ScanFormatError) return err;
    throw err;
  }
  throw new Error('expected a ScanFormatError, but the report parsed');
}

/** A valid document damaged: cut short, a byte replaced, or bytes inserted. */
export function damaged(text: string): fc.Arbitrary<{ how: 'cut' | 'flip' | 'insert'; bytes: Uint8Array }> {
  const bytes = new TextEncoder().encode(text);
  return fc.oneof(
    fc.nat(bytes.length - 1).map((n) => ({ how: 'cut' as const, bytes: bytes.slice(0, n) })),
    fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })).map(([n, b]) => {
      const copy = bytes.slice();
      copy[n] = b;
      return { how: 'flip' as const, bytes: copy };
    }),
    fc.tuple(fc.nat(bytes.length), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([n, junk]) => {
      const copy = new Uint8Array(bytes.length + junk.length);
      copy.set(bytes.subarray(0, n));
      copy.set(junk, n);
      copy.set(bytes.subarray(n), n + junk.length);
      return { how: 'insert' as const, bytes: copy };
    }),
  );
}

/**
 * Damage never gives another error type and never hangs; a cut document
 * (short of its closing bracket) never parses.
 */
export async function fuzz(parser: ReportParser, text: string, runs = 200): Promise<void> {
  const end = new TextEncoder().encode(text.trimEnd()).length;
  await fc.assert(
    fc.asyncProperty(damaged(text), fc.array(fc.nat(), { maxLength: 4 }), async ({ how, bytes }, cuts) => {
      const chunks: Uint8Array[] = [];
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      let last = 0;
      for (const p of [...points, bytes.length]) {
        chunks.push(bytes.subarray(last, p));
        last = p;
      }
      try {
        await collect(parser, chunks);
        if (how === 'cut' && bytes.length < end) throw new Error(`a document cut at byte ${bytes.length} of ${end} parsed`);
      } catch (err) {
        if (!(err instanceof ScanFormatError)) throw err;
      }
    }),
    { numRuns: runs },
  );
}
