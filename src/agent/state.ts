import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Checkin, HostFactsReport } from '../domain/agents/protocol.js';
import type { InventoryPackage } from '../domain/inventory/inventory.js';

/**
 * What the agent keeps on disk, in its state directory:
 *   agent.json       server URL, agent id, CA file, interval (written at enrolment)
 *   credential       the agent's secret (mode 0600)
 *   sequence         the last sequence number given to a report
 *   snapshot.json.gz the OS packages of the last report made: the base of the next report's differences
 *   spool/           reports not yet acknowledged by the server, one file each, sent in sequence order
 *   rejected/        reports the server refused for good (kept for inspection, never silently dropped)
 * Every file is written to a temporary name, flushed and renamed, so a crash leaves the old or the new file.
 */
export interface AgentConfig {
  server: string;
  agentId: string;
  assetId: string;
  caFile: string | null;
  allowHttp: boolean;
  intervalSeconds: number;
  root: string;
  enrolledAt: string;
}

type OsPkg = Omit<InventoryPackage, 'ecosystem'>;

export interface SpooledReport {
  reportId: string;
  seq: number;
  collectedAt: string;
  agentVersion: string;
  facts: HostFactsReport;
  os: { ecosystem: 'deb' | 'rpm' | 'apk'; distro: string; release: string };
  packages: OsPkg[];
  /** Differences against the previous report, when there was one. */
  diff: { baseDigest: string; digest: string; added: OsPkg[]; removed: { name: string; arch: string }[] } | null;
}

/** The reports kept while the server is unreachable; beyond this the agent stops collecting and says so. */
export const MAX_SPOOLED = 5000;

export function writeAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export class AgentState {
  constructor(readonly dir: string) {}

  private p(...parts: string[]) {
    return path.join(this.dir, ...parts);
  }

  init(config: AgentConfig, credential: string): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.p('spool'), { recursive: true, mode: 0o700 });
    writeAtomic(this.p('credential'), `${credential}\n`);
    writeAtomic(this.p('agent.json'), `${JSON.stringify(config, null, 2)}\n`, 0o644);
    // A new enrolment starts a new sequence with a full snapshot; a leftover spool belonged to the old identity.
    for (const f of ['sequence', 'snapshot.json.gz']) fs.rmSync(this.p(f), { force: true });
    for (const f of this.spooled()) fs.renameSync(this.p('spool', f), this.p('spool', `${f}.old-enrolment`));
  }

  enrolled(): boolean {
    return fs.existsSync(this.p('agent.json')) && fs.existsSync(this.p('credential'));
  }

  config(): AgentConfig {
    if (!this.enrolled()) throw new Error(`this agent is not enrolled (no ${this.p('agent.json')}); run: patchloop agent enroll --server URL --token TOKEN`);
    return JSON.parse(fs.readFileSync(this.p('agent.json'), 'utf8')) as AgentConfig;
  }

  credential(): string {
    return fs.readFileSync(this.p('credential'), 'utf8').trim();
  }

  nextSeq(): number {
    const f = this.p('sequence');
    const last = fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8').trim()) : 0;
    if (!Number.isSafeInteger(last) || last < 0) throw new Error(`${f} is damaged`);
    return last + 1;
  }

  lastSnapshot(): OsPkg[] | null {
    const f = this.p('snapshot.json.gz');
    if (!fs.existsSync(f)) return null;
    try {
      return JSON.parse(gunzipSync(fs.readFileSync(f)).toString('utf8')) as OsPkg[];
    } catch {
      return null; // a damaged base only costs a full report
    }
  }

  /** Puts a report into the spool, then moves the sequence and the diff base on: in this order, so a crash in between loses nothing (a repeat of a sequence number is never sent: the spool file is the report). */
  spool(r: SpooledReport): void {
    fs.mkdirSync(this.p('spool'), { recursive: true, mode: 0o700 });
    writeAtomic(this.p('spool', `${String(r.seq).padStart(12, '0')}-${r.reportId}.json.gz`), gzipSync(JSON.stringify(r)));
    writeAtomic(this.p('sequence'), String(r.seq));
    writeAtomic(this.p('snapshot.json.gz'), gzipSync(JSON.stringify(r.packages)));
  }

  spooled(): string[] {
    const dir = this.p('spool');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((f) => /^\d{12}-[0-9a-f-]{36}\.json\.gz$/.test(f)).sort();
  }

  read(file: string): SpooledReport {
    return JSON.parse(gunzipSync(fs.readFileSync(this.p('spool', file))).toString('utf8')) as SpooledReport;
  }

  done(file: string): void {
    fs.rmSync(this.p('spool', file), { force: true });
  }

  reject(file: string, reason: string): void {
    fs.mkdirSync(this.p('rejected'), { recursive: true, mode: 0o700 });
    fs.renameSync(this.p('spool', file), this.p('rejected', file));
    writeAtomic(this.p('rejected', `${file}.reason.txt`), `${reason}\n`);
  }
}

/** The wire form of a spooled report: its differences, or the whole snapshot when asked (or when there is no base). */
export function toCheckin(r: SpooledReport, full: boolean): Checkin {
  const report: Checkin['report'] =
    r.diff && !full
      ? { kind: 'diff', ...r.os, baseDigest: r.diff.baseDigest, digest: r.diff.digest, added: r.diff.added, removed: r.diff.removed }
      : { kind: 'full', ...r.os, packages: r.packages };
  return { reportId: r.reportId, seq: r.seq, collectedAt: r.collectedAt, agentVersion: r.agentVersion, facts: r.facts, report };
}
