import fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/**
 * `patchloop policy …` (GOV-1, STK-4) and `patchloop findings priority ID`
 * (VUL-4): the patch policy's versions, their differences, editing (a new
 * version from a JSON file), acknowledgement, and why a finding has its
 * priority and due date.
 */
const versionArg = (v: string) => {
  if (!/^[0-9]{1,7}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`"${v}" is not a policy version (1, 2, …)`);
  return Number(v);
};
const show = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));

export function policyCommands(program: Command, run: Runner) {
  const policy = program.command('policy').description('The patch policy: SLA table, priority rules, approvals, escalation (versioned)');

  policy
    .command('show')
    .description('The policy in force, or one version (--json prints the document to edit)')
    .option('--version <n>', 'this version', versionArg)
    .option('--json', 'print the whole version as JSON')
    .action((opts: { version?: number; json?: boolean }) =>
      run(async (client) => {
        const p = await call(client, 'GET', opts.version ? `/api/policy/versions/${opts.version}` : '/api/policy');
        if (opts.json) return printJson(p);
        const d = p.document;
        console.log(`${d.name}: version ${p.version} by ${p.author.name}, ${p.createdAt} (${p.reason})`);
        console.log(`model: ${d.model}`);
        console.log(`SLA days: ${Object.entries(d.sla).map(([k, v]) => `${k} ${v ?? 'none'}`).join(', ')}`);
        console.log(`emergency: ${d.emergency.enabled ? `KEV on ${d.emergency.exposures.join('/') || 'no'} assets${d.emergency.ransomwareAnyExposure ? ' or ransomware anywhere' : ''}, ${d.emergency.days} days` : 'off'}`);
        console.log(`approvals: exceptions ${d.approvals.exception.join('/')}; unsupported systems ${d.approvals.unsupportedSystemException.join('/')}; SLA extensions ${d.approvals.slaExtension.join('/')}`);
        for (const e of d.escalation) console.log(`escalation: ${e.name} at ${e.atPercent} % (≥ ${e.minPriority}) → ${e.notify.join(', ')} by ${e.channels.join(', ')}`);
      }),
    );

  policy
    .command('versions')
    .description('Every version, newest first')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(async (client) => {
        const rows = await call(client, 'GET', '/api/policy/versions');
        if (opts.json) return printJson(rows);
        console.log(table(rows.map((r: any) => ({ ...r, author: r.author.name })), [
          { key: 'version', label: 'VERSION' }, { key: 'createdAt', label: 'WHEN' }, { key: 'author', label: 'BY' }, { key: 'changes', label: 'CHANGES' }, { key: 'reason', label: 'WHY', max: 60 },
        ]));
      }),
    );

  policy
    .command('diff <from> <to>')
    .description('The fields that differ between two versions')
    .option('--json', 'print JSON')
    .action((from: string, to: string, opts: { json?: boolean }) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/policy/diff', { query: { from: String(versionArg(from)), to: String(versionArg(to)) } });
        if (opts.json) return printJson(r);
        if (!r.changes.length) return console.log(`versions ${r.from} and ${r.to} are the same`);
        for (const c of r.changes) console.log(`${c.path}: ${show(c.before)} → ${show(c.after)}`);
      }),
    );

  policy
    .command('edit <file>')
    .description('Make a new version from a JSON file: the document alone, or a version as `policy show --json` prints it')
    .requiredOption('--reason <text>', 'why the policy changes (kept with the version)')
    .option('--json', 'print JSON')
    .action((file: string, opts: { reason: string; json?: boolean }) =>
      run(async (client) => {
        let parsed: any;
        try {
          parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (err) {
          throw new Error(`${file}: not a JSON file (${(err as Error).message})`);
        }
        // A version as `policy show --json` prints it carries its number: the edit is refused if another was saved since.
        const isVersion = parsed && typeof parsed === 'object' && 'document' in parsed;
        const document = isVersion ? parsed.document : parsed;
        const baseVersion = isVersion && Number.isInteger(parsed.version) ? parsed.version : undefined;
        const v = await call(client, 'PUT', '/api/policy', { body: { document, reason: opts.reason, ...(baseVersion ? { baseVersion } : {}) } });
        if (opts.json) return printJson(v);
        console.log(`policy version ${v.version} is in force; open findings are being re-prioritised`);
      }),
    );

  policy
    .command('acknowledge')
    .description('Confirm you have read the policy in force')
    .option('--version <n>', 'the version you read (refused if another one is in force)', versionArg)
    .action((opts: { version?: number }) =>
      run(async (client) => {
        const r = await call(client, 'POST', '/api/policy/acknowledge', { body: opts.version ? { version: opts.version } : {} });
        console.log(`policy version ${r.version} acknowledged at ${r.acknowledgedAt}`);
      }),
    );

  policy
    .command('acknowledgements')
    .description('Who has acknowledged the version in force, and who has not')
    .option('--pending', 'only those who have not')
    .option('--json', 'print JSON')
    .action((opts: { pending?: boolean; json?: boolean }) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/policy/acknowledgements');
        if (opts.json) return printJson(r);
        console.log(`version ${r.version}: ${r.acknowledged} acknowledged, ${r.pending} not yet`);
        const people = opts.pending ? r.people.filter((p: any) => !p.current) : r.people;
        console.log(table(people.map((p: any) => ({ ...p, state: p.current ? 'yes' : p.version ? `only v${p.version}` : 'no' })), [
          { key: 'username', label: 'USER' }, { key: 'displayName', label: 'NAME' }, { key: 'role', label: 'ROLE' }, { key: 'state', label: 'ACKNOWLEDGED' }, { key: 'acknowledgedAt', label: 'WHEN' },
        ]));
      }),
    );

  policy
    .command('reprioritise')
    .description('Re-prioritise every open finding now (the background worker does it)')
    .requiredOption('--reason <text>', 'why')
    .action((opts: { reason: string }) =>
      run(async (client) => {
        const r = await call(client, 'POST', '/api/priority/reprioritise', { body: { reason: opts.reason } });
        console.log(`queued (${r.queued} request(s) waiting)`);
      }),
    );

  const findings = program.commands.find((c) => c.name() === 'findings') ?? program.command('findings').description('The findings register');
  findings
    .command('priority <id>')
    .description('Why a finding has its priority and due date: each factor, its value and effect, and the history')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      run(async (client) => {
        if (!/^[0-9]{1,18}$/.test(id)) throw new InvalidArgumentError(`"${id}" is not a finding id (digits)`);
        const e = await call(client, 'GET', `/api/findings/${id}/priority`);
        if (opts.json) return printJson(e);
        const s = e.stored;
        console.log(`finding ${e.findingId} (${e.status}): ${s.priority ?? 'not prioritised yet'}${s.emergency ? ' — EMERGENCY' : ''}, due ${s.dueAt ?? 'never'}${s.slaState ? ` (${s.slaState.replace('_', ' ')})` : ''}, set by policy version ${s.policyVersion ?? '—'}`);
        console.log(`model: ${e.current.modelLabel} (policy version ${e.current.policyVersion})${e.current.upToDate ? '' : ' — inputs changed, re-prioritisation pending'}`);
        console.log(table(e.current.factors, [{ key: 'factor', label: 'FACTOR' }, { key: 'value', label: 'VALUE', max: 50 }, { key: 'effect', label: 'EFFECT', max: 70 }]));
        if (e.history.length) {
          console.log('history:');
          for (const h of e.history) console.log(`  ${h.at}  ${h.previousPriority ?? '—'} → ${h.priority}${h.emergency ? ' (emergency)' : ''}, due ${h.dueAt ?? 'never'} [${h.basis}] ${h.trigger}`);
        }
      }),
    );
}
