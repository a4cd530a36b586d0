import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { type CheckinResponse, diffPackages, type EnrolResponse, snapshotDigest } from '../domain/agents/protocol.js';
import { packageVersion } from '../lib/paths.js';
import { collectInventory } from './collect/index.js';
import { AgentState, MAX_SPOOLED, type SpooledReport, toCheckin } from './state.js';
import { checkServerUrl, postJson, problemDetail, type ServerEndpoint, TransportError } from './transport.js';

/**
 * The agent's work: enrol once, then on every round collect, spool the report,
 * and deliver the spool in order. Delivery is at-least-once from here and
 * exactly-once at the server (report ids), so a report is never lost to a
 * crash, a restart or an outage: it is on disk before anything is sent and
 * leaves the disk only once the server has answered that it has it.
 */

export interface EnrolOptions {
  server: string;
  token: string;
  stateDir: string;
  caFile?: string;
  allowHttp?: boolean;
  root?: string;
  intervalSeconds?: number;
}

function endpoint(cfg: { server: string; caFile: string | null; allowHttp: boolean }): ServerEndpoint {
  return { url: cfg.server, ca: cfg.caFile ? fs.readFileSync(cfg.caFile, 'utf8') : undefined, allowHttp: cfg.allowHttp };
}

export async function enrol(opts: EnrolOptions): Promise<EnrolResponse> {
  checkServerUrl(opts.server, opts.allowHttp);
  if (opts.caFile && !fs.existsSync(opts.caFile)) throw new Error(`--ca-file: ${opts.caFile} does not exist`);
  const root = opts.root ?? '/';
  const c = await collectInventory({ root });
  const cfg = { server: opts.server, caFile: opts.caFile ?? null, allowHttp: !!opts.allowHttp };
  const res = await postJson(endpoint(cfg), 'api/agent/enrol', { token: opts.token.trim(), agentVersion: packageVersion(), facts: c.facts });
  if (res.status !== 200) throw new Error(`enrolment refused (${res.status}): ${problemDetail(res.json)}`);
  const e = res.json as EnrolResponse;
  new AgentState(opts.stateDir).init(
    { ...cfg, agentId: e.agentId, assetId: e.assetId, intervalSeconds: opts.intervalSeconds ?? e.checkinIntervalSeconds, root, enrolledAt: new Date().toISOString() },
    e.credential,
  );
  return e;
}

/** Collects the host and spools the report (with its differences against the previous one). */
export async function collectReport(state: AgentState): Promise<SpooledReport> {
  const cfg = state.config();
  if (state.spooled().length >= MAX_SPOOLED) throw new Error(`${MAX_SPOOLED} reports are waiting in ${state.dir}/spool; not collecting more until the server takes them`);
  const c = await collectInventory({ root: cfg.root });
  const packages = c.inventory.packages.map(({ ecosystem: _e, ...p }) => p);
  const base = state.lastSnapshot();
  const report: SpooledReport = {
    reportId: randomUUID(),
    seq: state.nextSeq(),
    collectedAt: new Date().toISOString(),
    agentVersion: packageVersion(),
    facts: c.facts,
    os: { ecosystem: c.inventory.ecosystem as SpooledReport['os']['ecosystem'], distro: c.inventory.distro, release: c.inventory.release },
    packages,
    diff: base ? { baseDigest: snapshotDigest(base), digest: snapshotDigest(packages), ...diffPackages(base, packages) } : null,
  };
  state.spool(report);
  return report;
}

export interface FlushResult {
  accepted: number;
  duplicates: number;
  fullResent: number;
  rejected: { file: string; reason: string }[];
  pending: number;
  /** Why delivery stopped early (the server is unreachable or failing): the rest waits for the next round. */
  stoppedBy: string | null;
  last: CheckinResponse | null;
}

/** Sends the spooled reports oldest first; stops at the first one that cannot be delivered now. */
export async function flush(state: AgentState): Promise<FlushResult> {
  const cfg = state.config();
  const ep = endpoint(cfg);
  const credential = state.credential();
  const out: FlushResult = { accepted: 0, duplicates: 0, fullResent: 0, rejected: [], pending: 0, stoppedBy: null, last: null };
  const files = state.spooled();
  for (const [i, file] of files.entries()) {
    const r = state.read(file);
    try {
      let res = await postJson(ep, 'api/agent/checkin', toCheckin(r, false), credential);
      if (res.status === 200 && (res.json as CheckinResponse).status === 'full_required') {
        out.fullResent++;
        res = await postJson(ep, 'api/agent/checkin', toCheckin(r, true), credential);
      }
      if (res.status === 200) {
        const a = res.json as CheckinResponse;
        if (a.status === 'full_required') throw new TransportError('the server asked for a full snapshot twice', true);
        if (a.status === 'duplicate') out.duplicates++;
        else out.accepted++;
        out.last = a;
        state.done(file);
        continue;
      }
      if (res.status === 401) throw new TransportError(`the server refused the agent credential: ${problemDetail(res.json)}`, false, 401);
      if (res.status === 429 || res.status >= 500) throw new TransportError(`server answered ${res.status}: ${problemDetail(res.json)}`, true, res.status);
      // Refused for good (invalid, too large, out of order): set aside, visible, and go on with the next.
      const reason = `${res.status}: ${problemDetail(res.json)}`;
      state.reject(file, reason);
      out.rejected.push({ file, reason });
    } catch (err) {
      out.stoppedBy = (err as Error).message;
      out.pending = files.length - i;
      if (err instanceof TransportError && !err.retry) throw err;
      return out;
    }
  }
  return out;
}

export interface RunOptions {
  stateDir: string;
  once?: boolean;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** Overrides the enrolled interval (tests). */
  intervalSeconds?: number;
}

/** Sleeps `ms`, or less when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** ±10 % around the interval, so a fleet restarted at once does not check in at once ever after. */
export const jittered = (seconds: number, rnd = Math.random) => Math.round(seconds * 1000 * (0.9 + 0.2 * rnd()));

export async function run(opts: RunOptions): Promise<void> {
  const state = new AgentState(opts.stateDir);
  const log = opts.log ?? ((m: string) => console.error(m));
  const interval = () => opts.intervalSeconds ?? state.config().intervalSeconds;
  let retryMs = 5_000;
  // Spread the first check-in of a fleet that starts together over one interval.
  if (!opts.once) await sleep(Math.random() * Math.min(interval() * 1000, 300_000), opts.signal);
  let nextCollect = 0;
  while (!opts.signal?.aborted) {
    if (Date.now() >= nextCollect) {
      try {
        const r = await collectReport(state);
        log(`report ${r.seq} collected: ${r.packages.length} packages${r.diff ? ` (${r.diff.added.length} added, ${r.diff.removed.length} removed since the last)` : ', full snapshot'}`);
      } catch (err) {
        log(`collecting failed: ${(err as Error).message}`);
      }
      nextCollect = Date.now() + jittered(interval());
    }
    const f = await flush(state);
    if (f.accepted || f.duplicates) log(`delivered ${f.accepted} report(s)${f.duplicates ? `, ${f.duplicates} already there` : ''}${f.fullResent ? `, ${f.fullResent} sent again in full` : ''}`);
    for (const r of f.rejected) log(`report ${r.file} refused by the server, kept in rejected/: ${r.reason}`);
    if (opts.once) {
      if (f.stoppedBy) throw new Error(`${f.pending} report(s) wait in the spool: ${f.stoppedBy}`);
      return;
    }
    if (f.stoppedBy) {
      log(`${f.pending} report(s) wait in the spool: ${f.stoppedBy}; retrying in ${Math.round(retryMs / 1000)} s`);
      await sleep(Math.min(retryMs, Math.max(0, nextCollect - Date.now())) || retryMs, opts.signal);
      retryMs = Math.min(retryMs * 2, 300_000);
      continue;
    }
    retryMs = 5_000;
    await sleep(Math.max(0, nextCollect - Date.now()), opts.signal);
  }
}
