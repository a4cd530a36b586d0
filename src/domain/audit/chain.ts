import { createHash } from 'node:crypto';

/**
 * The tamper-evident audit chain (CMP-5). Each record's hash covers its own
 * content and the previous record's hash, so altering, removing or
 * reordering any record breaks every hash after it.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditContent {
  seq: number;
  occurredAt: string; // ISO-8601 with milliseconds, UTC
  actorType: string;
  actorId: string | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export interface AuditRecord extends AuditContent {
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so jsonb round trips hash the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashRecord(content: AuditContent, prevHash: string): string {
  const body = canonicalJson({ ...content, prevHash });
  return createHash('sha256').update(body).digest('hex');
}

export type VerifyProblem =
  | { kind: 'altered'; seq: number; message: string }
  | { kind: 'removed'; seq: number; message: string }
  | { kind: 'reordered'; seq: number; message: string }
  | { kind: 'truncated'; seq: number; message: string };

export interface VerifyResult {
  ok: boolean;
  checked: number;
  lastSeq: number;
  lastHash: string;
  problem?: VerifyProblem;
}

/**
 * Streams records in seq order through a verifier; returns the first problem.
 * `head` is the separately stored latest (seq, hash); it catches removal of
 * the newest records, which a chain alone cannot show.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private checked = 0;
  private problem: VerifyProblem | undefined;
  private readonly seen = new Set<string>();

  push(rec: AuditRecord): boolean {
    if (this.problem) return false;
    this.checked++;
    const content = stripHashes(rec);
    if (rec.seq !== this.expectedSeq) {
      this.problem =
        rec.seq < this.expectedSeq
          ? { kind: 'reordered', seq: rec.seq, message: `record ${rec.seq} is out of order (expected record ${this.expectedSeq})` }
          : {
              kind: 'removed',
              seq: this.expectedSeq,
              message: `${rec.seq - this.expectedSeq === 1 ? `record ${this.expectedSeq} is` : `records ${this.expectedSeq}–${rec.seq - 1} are`} missing (next present record is ${rec.seq})`,
            };
      return false;
    }
    if (hashRecord(content, rec.prevHash) !== rec.hash) {
      const from = originalSeq(content, rec);
      this.problem =
        from !== null
          ? { kind: 'reordered', seq: rec.seq, message: `record ${rec.seq} was moved: it was written as record ${from}` }
          : { kind: 'altered', seq: rec.seq, message: `record ${rec.seq} was altered: its content does not match its hash` };
      return false;
    }
    if (rec.prevHash !== this.prevHash) {
      this.problem = this.seen.has(rec.prevHash)
        ? { kind: 'reordered', seq: rec.seq, message: `record ${rec.seq} links to an earlier record than ${rec.seq - 1}: the trail was reordered here` }
        : { kind: 'altered', seq: rec.seq, message: `record ${rec.seq} does not link to record ${rec.seq - 1}: the record before it was rewritten, or records were removed and renumbered` };
      return false;
    }
    this.seen.add(rec.hash);
    this.prevHash = rec.hash;
    this.expectedSeq++;
    return true;
  }

  finish(head: { seq: number; hash: string } | null): VerifyResult {
    const lastSeq = this.expectedSeq - 1;
    if (!this.problem && head && (head.seq !== lastSeq || head.hash !== this.prevHash)) {
      this.problem =
        head.seq > lastSeq
          ? { kind: 'truncated', seq: lastSeq + 1, message: `records ${lastSeq + 1}–${head.seq} were removed from the end of the trail` }
          : { kind: 'altered', seq: head.seq, message: `the recorded head (record ${head.seq}) does not match the trail` };
    }
    return { ok: !this.problem, checked: this.checked, lastSeq, lastHash: this.prevHash, problem: this.problem };
  }
}

/** When a record's seq was changed (moved), finds the seq it was written with, searching nearby. */
function originalSeq(content: AuditContent, rec: AuditRecord, window = 5000): number | null {
  for (let d = 1; d <= window; d++) {
    for (const s of [rec.seq - d, rec.seq + d]) {
      if (s >= 1 && hashRecord({ ...content, seq: s }, rec.prevHash) === rec.hash) return s;
    }
  }
  return null;
}

function stripHashes(rec: AuditRecord): AuditContent {
  const { prevHash: _p, hash: _h, ...content } = rec;
  return content;
}
