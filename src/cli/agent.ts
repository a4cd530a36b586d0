import fs from 'node:fs';
import type { Command } from 'commander';
import { CollectError, collectInventory } from '../agent/collect/index.js';
import { install } from '../agent/install.js';
import { collectReport, enrol, flush, run } from '../agent/runner.js';
import { AgentState } from '../agent/state.js';
import { printJson } from './output.js';

const DEFAULT_STATE_DIR = process.env.PATCHLOOP_AGENT_STATE_DIR || '/var/lib/patchloop-agent';

/**
 * `patchloop agent`: runs on a Linux host (issue #4). `inventory` prints what
 * it would report; `enroll` exchanges a one-time token for the agent's own
 * credential; `run` checks in on an interval (spooling reports on disk while
 * the server is away); `install` makes it a systemd service.
 */
export function agentCommands(program: Command, fail: (err: unknown) => never) {
  const agent = program.command('agent').description('The host agent: collects what is installed on this machine (or a mounted root)');
  agent
    .command('inventory')
    .description('Print the facts and installed packages the agent would report (dpkg, rpm or apk), without sending them')
    .option('--root <dir>', 'inventory a mounted or chroot file system instead of this machine', '/')
    .option('--json', 'print JSON (the inventory as PUT /api/assets/{id}/inventory takes it, with facts and skipped packages)')
    .action(async (opts: { root: string; json?: boolean }) => {
      try {
        const c = await collectInventory({ root: opts.root });
        for (const w of c.warnings) console.error(`warning: ${w}`);
        if (opts.json) return printJson({ facts: c.facts, inventory: c.inventory, database: c.database, skipped: c.skipped });
        const f = c.facts;
        console.log(`${f.hostname ?? '(no hostname)'}: ${f.os.prettyName ?? f.os.id ?? 'unknown OS'} — ${c.inventory.ecosystem} ${c.inventory.distro} ${c.inventory.release}`);
        console.log(`${c.inventory.packages.length} installed package(s) from ${c.database.file}${c.skipped.length ? `, ${c.skipped.length} skipped` : ''}`);
        for (const s of c.skipped) console.log(`  skipped ${s.name} ${s.version}: ${s.reason}`);
      } catch (err) {
        if (err instanceof CollectError) fail(new Error(err.message));
        fail(err);
      }
    });

  const wrap = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      fail(err);
    }
  };

  agent
    .command('enroll')
    .description('Enrol this host with the server: exchanges a one-time enrolment token for the agent\'s own credential')
    .requiredOption('--server <url>', 'the server, https://…')
    .option('--token <token>', 'the enrolment token (ple_…); or --token-file')
    .option('--token-file <file>', 'read the enrolment token from a file')
    .option('--ca-file <file>', 'PEM file of the CA that signed the server certificate (private CAs)')
    .option('--allow-http', 'allow a plain http:// server URL (test set-ups only)')
    .option('--state-dir <dir>', 'where the agent keeps its credential and spool', DEFAULT_STATE_DIR)
    .option('--root <dir>', 'report a mounted or chroot file system instead of this machine', '/')
    .option('--interval <seconds>', 'seconds between check-ins (default: what the server says, 3600)')
    .action((opts) =>
      wrap(async () => {
        const token = opts.token ?? (opts.tokenFile ? fs.readFileSync(opts.tokenFile, 'utf8') : undefined);
        if (!token) throw new Error('give the enrolment token with --token or --token-file');
        const interval = opts.interval === undefined ? undefined : Number(opts.interval);
        if (interval !== undefined && (!Number.isInteger(interval) || interval < 10 || interval > 7 * 86400)) throw new Error('--interval: a whole number of seconds between 10 and 604800');
        const e = await enrol({ server: opts.server, token, stateDir: opts.stateDir, caFile: opts.caFile, allowHttp: !!opts.allowHttp, root: opts.root, intervalSeconds: interval });
        console.log(`enrolled as agent ${e.agentId} for asset ${e.assetId} (${e.matchedBy === 'created' ? 'new asset' : `matched by ${e.matchedBy.replace('_', ' ')}`}); state in ${opts.stateDir}`);
      })(),
    );

  agent
    .command('run')
    .description('Check in on the enrolled interval (with jitter): collect, spool, deliver; reports wait on disk while the server is unreachable')
    .option('--state-dir <dir>', 'the enrolled state directory', DEFAULT_STATE_DIR)
    .option('--once', 'collect and deliver once, then exit (non-zero when reports are left in the spool)')
    .option('--flush-only', 'deliver what is spooled without collecting')
    .action((opts) =>
      wrap(async () => {
        const state = new AgentState(opts.stateDir);
        if (opts.flushOnly) {
          const f = await flush(state);
          console.log(`delivered ${f.accepted}, already there ${f.duplicates}, refused ${f.rejected.length}, waiting ${f.pending}${f.stoppedBy ? ` (${f.stoppedBy})` : ''}`);
          if (f.pending) process.exitCode = 1;
          return;
        }
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (opts.once) {
          const r = await collectReport(state);
          const f = await flush(state);
          console.log(`report ${r.seq}: ${r.packages.length} packages; delivered ${f.accepted}, already there ${f.duplicates}, waiting ${f.pending}${f.stoppedBy ? ` (${f.stoppedBy})` : ''}`);
          if (f.pending) process.exitCode = 1;
          return;
        }
        await run({ stateDir: opts.stateDir, signal: ac.signal });
      })(),
    );

  agent
    .command('status')
    .description('Show the enrolment and the reports waiting in the spool')
    .option('--state-dir <dir>', 'the enrolled state directory', DEFAULT_STATE_DIR)
    .option('--json', 'print JSON')
    .action((opts) =>
      wrap(async () => {
        const state = new AgentState(opts.stateDir);
        const cfg = state.config();
        const s = { server: cfg.server, agentId: cfg.agentId, assetId: cfg.assetId, intervalSeconds: cfg.intervalSeconds, enrolledAt: cfg.enrolledAt, nextSeq: state.nextSeq(), spooled: state.spooled().length };
        if (opts.json) printJson(s);
        else console.log(`agent ${s.agentId} → ${s.server} (asset ${s.assetId}), every ${s.intervalSeconds} s; ${s.spooled} report(s) waiting, next report ${s.nextSeq}`);
      })(),
    );

  agent
    .command('install')
    .description('Write and enable a systemd unit that runs `patchloop agent run` as an unprivileged user')
    .option('--state-dir <dir>', 'the enrolled state directory', DEFAULT_STATE_DIR)
    .option('--unit-dir <dir>', 'where to write the unit', '/etc/systemd/system')
    .option('--user <name>', 'run as this existing account instead of a transient one (DynamicUser)')
    .option('--no-enable', 'only write the unit file')
    .action((opts) =>
      wrap(async () => {
        const r = install({ stateDir: opts.stateDir, unitDir: opts.unitDir, user: opts.user, enable: opts.enable !== false });
        console.log(`wrote ${r.unit}${r.enabled ? '; enabled and started' : ''}`);
        if (r.note) console.error(`note: ${r.note}`);
      })(),
    );
}
