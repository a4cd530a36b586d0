import { describe, expect, it } from 'vitest';
import { type AuditRecord, ChainVerifier, GENESIS_HASH, canonicalJson, hashRecord } from './chain.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content = {
      seq,
      occurredAt: new Date(Date.UTC(2026, 10, 1, 0, 0, seq)).toISOString(),
      actorType: 'user',
      actorId: 'u1',
      actorName: 'alice',
      action: 'asset.update',
      entityType: 'asset',
      entityId: `a${seq}`,
      before: { n: seq - 1 },
      after: { n: seq, tags: ['x'] },
      requestId: `r${seq}`,
    };
    const hash = hashRecord(content, prev);
    out.push({ ...content, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

function verify(recs: AuditRecord[], head: { seq: number; hash: string } | null = null) {
  const v = new ChainVerifier();
  for (const r of recs) if (!v.push(r)) break;
  return v.finish(head);
}

describe('canonicalJson', () => {
  it('sorts keys at every level so jsonb round trips hash the same', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  it('drops undefined members like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain and reports its head', () => {
    const recs = chain(5);
    const r = verify(recs, { seq: 5, hash: recs[4]!.hash });
    expect(r).toMatchObject({ ok: true, checked: 5, lastSeq: 5, lastHash: recs[4]!.hash });
  });

  it('names an altered record', () => {
    const recs = chain(5);
    recs[2] = { ...recs[2]!, after: { n: 999 } };
    expect(verify(recs).problem).toMatchObject({ kind: 'altered', seq: 3 });
  });

  it('names the first missing record when one is removed', () => {
    const recs = chain(5);
    recs.splice(1, 1);
    expect(verify(recs).problem).toMatchObject({ kind: 'removed', seq: 2 });
  });

  it('names a record moved to another position (seq values swapped)', () => {
    const recs = chain(4);
    // What a reader ordered by seq sees after two rows swapped their seq numbers.
    const swapped = [recs[0]!, { ...recs[2]!, seq: 2 }, { ...recs[1]!, seq: 3 }, recs[3]!];
    expect(verify(swapped).problem).toMatchObject({ kind: 'reordered', seq: 2, message: expect.stringContaining('written as record 3') });
  });

  it('reports records removed and the rest renumbered and re-hashed from the broken link', () => {
    const recs = chain(4);
    // Drop record 2, then renumber and re-hash record 3 as record 2 without fixing its link.
    const { prevHash, hash: _h, ...content } = recs[2]!;
    const moved = { ...content, seq: 2 };
    const forged = { ...moved, prevHash, hash: hashRecord(moved, prevHash) };
    expect(verify([recs[0]!, forged]).problem).toMatchObject({ seq: 2, message: expect.stringContaining('removed and renumbered') });
  });

  it('detects removal of the newest records through the head', () => {
    const recs = chain(5);
    const r = verify(recs.slice(0, 3), { seq: 5, hash: recs[4]!.hash });
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ kind: 'truncated', seq: 4 });
  });

  it('detects a record re-hashed after alteration through the next link', () => {
    const recs = chain(4);
    const forged = { ...recs[1]!, after: { n: 42 } };
    forged.hash = hashRecord({ ...forged, prevHash: undefined, hash: undefined } as never, forged.prevHash);
    const { prevHash: _p, hash: _h, ...content } = forged;
    forged.hash = hashRecord(content, forged.prevHash);
    recs[1] = forged;
    expect(verify(recs).problem).toMatchObject({ kind: 'altered', seq: 3, message: expect.stringContaining('does not link to record 2') });
  });
});
