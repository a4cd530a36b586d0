import fs from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXCEPTION_SCOPES, EXCEPTION_STATUSES, EXTENSION_STATUSES } from '../domain/exceptions/rules.js';
import type { RiskExceptionDetail, SlaExtension } from '../domain/exceptions/types.js';
import { ApiError, type ApiClient, call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/**
 * `patchloop exceptions …` (risk exceptions, VUL-7) and `patchloop extensions …`
 * (SLA extensions, INC-3). Decisions go through the API, so the policy's
 * approval roles and separation of duties hold here too: use a token of the
 * person deciding (PATCHLOOP_URL + PATCHLOOP_TOKEN).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function findingId(v: string, previous: string[] = []): string[] {
  if (!/^[0-9]{1,18}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a finding id (digits)`);
  return [...previous, v];
}
function uuid(what: string) {
  return (v: string, previous: string[] = []) => {
    if (!UUID.test(v)) throw new InvalidArgumentError(`"${v}" is not ${what} (UUID)`);
    return [...previous, v];
  };
}
function day(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a date (YYYY-MM-DD)`);
  return v;
}
function wholeNumber(v: string): number {
  if (!/^\d{1,4}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a whole number`);
  return Number(v);
}
function checkId(id: string, what: string) {
  if (!UUID.test(id)) throw new Error(`"${id}" is not ${what} id (UUID)`);
}

/** A user id, or a user name looked up in the user list. */
async function userId(client: ApiClient, who: string): Promise<string> {
  if (UUID.test(who)) return who;
  const users = await call<{ id: string; username: string }[]>(client, 'GET', '/api/users');
  const u = users.find((x) => x.username === who);
  if (!u) throw new Error(`--risk-owner: there is no user named "${who}"`);
  return u.id;
}

function target(e: { scope: string; findingId: string | null; vulnerability: { id: string } | null; asset: { hostname: string } | null; assets: { hostname: string }[] }): string {
  if (e.scope === 'finding') return `finding ${e.findingId}`;
  if (e.scope === 'asset') return e.asset?.hostname ?? '';
  return `${e.vulnerability?.id ?? ''}${e.assets.length ? ` on ${e.assets.map((a) => a.hostname).join(',')}` : ' (all assets)'}`;
}

function printException(e: RiskExceptionDetail) {
  const lines = [
    `exception ${e.id}: ${e.status}${e.unsupportedSystem ? ' (unsupported system)' : ''}`,
    `  scope:        ${e.scope}: ${target(e)}`,
    `  risk owner:   ${e.riskOwner.name}`,
    `  requested by: ${e.requestedBy.name} at ${e.requestedAt}`,
    `  expires:      ${e.expiresOn} (last valid day); next review ${e.nextReviewOn ?? '-'}${e.reviewDue ? ' (due)' : ''}`,
    `  covers:       ${e.coveredFindings} open finding(s)`,
    ...(e.uncoveredUnsupported ? [`  not covered:  ${e.uncoveredUnsupported} open finding(s) on unsupported systems: they need senior management's own exception (LEG-3)`] : []),
    `  justification: ${e.justification}`,
    ...(e.compensatingControls ? [`  controls:     ${e.compensatingControls}`] : []),
    ...(e.decidedBy ? [`  decided by:   ${e.decidedBy.name} at ${e.decidedAt} (policy version ${e.policyVersion})${e.decisionNote ? `: ${e.decisionNote}` : ''}`] : []),
    ...(e.endReason ? [`  ended:        ${e.endedAt}: ${e.endReason}`] : []),
    `  approvers:    ${e.approverRoles.join(', ')}`,
    '  history:',
    ...e.history.map((h) => `    ${h.at}  ${h.event.padEnd(9)} ${h.actor}${h.note ? `: ${h.note}` : ''}`),
  ];
  console.log(lines.join('\n'));
}

const statusOption = (statuses: readonly string[]) => new Option('--status <status>', 'only this status').choices([...statuses]);

export function exceptionCommands(program: Command, run: Runner) {
  const ex = program.command('exceptions').description('Risk exceptions: request, decide, re-review, export (VUL-7, LEG-3)');

  ex.command('request')
    .description("Request a risk exception; someone the policy names (never you) decides it")
    .addOption(new Option('--scope <scope>', 'what it covers').choices([...EXCEPTION_SCOPES]).makeOptionMandatory())
    .option('--finding <id>', 'scope finding: the finding id')
    .option('--vulnerability <id>', 'scope vulnerability: CVE or other id')
    .option('--asset <id>', 'scope asset: the asset id; scope vulnerability: only on this asset (repeatable)', uuid('an asset id'))
    .requiredOption('--justification <text>', 'why the risk is accepted (at least 10 characters)')
    .option('--controls <text>', 'compensating controls in place')
    .requiredOption('--risk-owner <user>', 'who owns the risk (user name or id)')
    .requiredOption('--expires <date>', 'last valid day, YYYY-MM-DD', day)
    .option('--review-days <n>', 're-review interval in days (default: the policy)', wholeNumber)
    .option('--renews <id>', 'the approved exception this renews')
    .option('--json', 'print JSON')
    .action((opts: { scope: string; finding?: string; vulnerability?: string; asset?: string[]; justification: string; controls?: string; riskOwner: string; expires: string; reviewDays?: number; renews?: string; json?: boolean }) =>
      run(async (client) => {
        if (opts.finding) findingId(opts.finding);
        if (opts.scope === 'asset' && (opts.asset?.length ?? 0) !== 1) throw new Error('--scope asset needs exactly one --asset');
        if (opts.scope === 'finding' && opts.asset?.length) throw new Error('--asset is not allowed with --scope finding');
        const body = {
          scope: opts.scope,
          findingId: opts.finding,
          vulnerabilityId: opts.vulnerability,
          assetId: opts.scope === 'asset' ? opts.asset?.[0] : undefined,
          assetIds: opts.scope === 'vulnerability' && opts.asset?.length ? opts.asset : undefined,
          justification: opts.justification,
          compensatingControls: opts.controls ?? '',
          riskOwnerId: await userId(client, opts.riskOwner),
          expiresOn: opts.expires,
          reviewIntervalDays: opts.reviewDays,
          renews: opts.renews,
        };
        const e = await call<RiskExceptionDetail>(client, 'POST', '/api/exceptions', { body });
        if (opts.json) return printJson(e);
        console.log(`requested exception ${e.id} (${e.scope}: ${target(e)}), expires ${e.expiresOn}${e.unsupportedSystem ? '; unsupported system: senior management decides' : ''}; approvers: ${e.approverRoles.join(', ')}`);
      }),
    );

  const filters = (c: Command) =>
    c
      .addOption(statusOption(EXCEPTION_STATUSES))
      .addOption(new Option('--scope <scope>', 'only this scope').choices([...EXCEPTION_SCOPES]))
      .option('--asset <id>', 'exceptions on this asset')
      .option('--vulnerability <id>', 'exceptions of this vulnerability')
      .option('--expiring-within <days>', 'approved and ending within this many days', wholeNumber)
      .option('--review-due', 'approved and due for re-review');
  type Filters = { status?: string; scope?: string; asset?: string; vulnerability?: string; expiringWithin?: number; reviewDue?: boolean };
  const query = (o: Filters) => ({
    status: o.status, scope: o.scope, assetId: o.asset, vulnerabilityId: o.vulnerability,
    expiringWithinDays: o.expiringWithin === undefined ? undefined : String(o.expiringWithin), reviewDue: o.reviewDue ? 'true' : undefined,
  });

  filters(ex.command('list').description('The exception register, newest first'))
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action((opts: Filters & { limit: string; json?: boolean }) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/exceptions', { query: { ...query(opts), limit: opts.limit } });
        if (opts.json) return printJson(r);
        const rows = r.items.map((e: RiskExceptionDetail) => ({ ...e, target: target(e), owner: e.riskOwner.name, review: e.reviewDue ? `${e.nextReviewOn} (due)` : e.nextReviewOn }));
        console.log(table(rows, [
          { key: 'id', label: 'ID', max: 36 }, { key: 'status', label: 'STATUS' }, { key: 'scope', label: 'SCOPE' }, { key: 'target', label: 'TARGET' },
          { key: 'owner', label: 'RISK OWNER' }, { key: 'expiresOn', label: 'EXPIRES' }, { key: 'review', label: 'NEXT REVIEW' }, { key: 'coveredFindings', label: 'COVERS' },
        ]));
        console.log(`${r.total} exception(s)`);
      }),
    );

  ex.command('show <id>').description('One exception with its history').option('--json', 'print JSON').action((id: string, opts: { json?: boolean }) =>
    run(async (client) => {
      checkId(id, 'an exception');
      const e = await call<RiskExceptionDetail>(client, 'GET', `/api/exceptions/${id}`);
      if (opts.json) return printJson(e);
      printException(e);
    }),
  );

  const decision = (name: 'approve' | 'reject' | 'revoke' | 'review', description: string, field: 'note' | 'reason', required: boolean) => {
    const c = ex.command(`${name} <id>`).description(description);
    if (required) c.requiredOption(`--${field} <text>`, field === 'reason' ? 'why' : 'your note');
    else c.option(`--${field} <text>`, 'your note');
    c.option('--json', 'print JSON').action((id: string, opts: { note?: string; reason?: string; json?: boolean }) =>
      run(async (client) => {
        checkId(id, 'an exception');
        const body = field === 'reason' ? { reason: opts.reason } : opts.note === undefined ? {} : { note: opts.note };
        const e = await call<RiskExceptionDetail>(client, 'POST', `/api/exceptions/${id}/${name}`, { body });
        if (opts.json) return printJson(e);
        const what = { approve: `approved; it covers ${e.coveredFindings} open finding(s) until ${e.expiresOn}`, reject: 'rejected', revoke: 'revoked; its findings have a fresh due date', review: `re-reviewed; next review ${e.nextReviewOn}` }[name];
        console.log(`exception ${e.id} ${what}`);
      }),
    );
  };
  decision('approve', 'Approve a requested exception (a role the policy names, never the requester)', 'note', false);
  decision('reject', 'Reject a requested exception', 'note', true);
  decision('revoke', 'Revoke an approved exception: its findings return with a fresh due date', 'reason', true);
  decision('review', 'Record the periodic re-review of an approved exception', 'note', true);

  filters(ex.command('export').description('The exception register as CSV (stdout without -o)'))
    .option('-o, --output <file>', 'write to this file')
    .action((opts: Filters & { output?: string }) =>
      run(async (client) => {
        const res = await client.request('GET', '/api/exceptions/export.csv', { query: query(opts) });
        if (res.status >= 400) throw new ApiError(res.status, res.json());
        if (!opts.output) return void process.stdout.write(res.bytes);
        fs.writeFileSync(opts.output, res.bytes);
        console.log(`exception register written to ${opts.output}: ${Math.max(0, res.body.trimEnd().split('\n').length - 1)} row(s)`);
      }),
    );

  const xt = program.command('extensions').description('SLA extensions: a later due date with justification and approval (INC-3)');

  xt.command('request <findingIds...>')
    .description('Request a later due date for open findings (all or none)')
    .requiredOption('--due <date>', 'the new due day, YYYY-MM-DD', day)
    .requiredOption('--justification <text>', 'why the deadline cannot be met (at least 10 characters)')
    .option('--incident <ref>', 'the incident this is part of')
    .option('--json', 'print JSON')
    .action((ids: string[], opts: { due: string; justification: string; incident?: string; json?: boolean }) =>
      run(async (client) => {
        const findingIds = ids.reduce<string[]>((acc, v) => findingId(v, acc), []);
        const x = await call<SlaExtension>(client, 'POST', '/api/sla-extensions', { body: { findingIds, newDueOn: opts.due, justification: opts.justification, incidentRef: opts.incident ?? null } });
        if (opts.json) return printJson(x);
        console.log(`requested SLA extension ${x.id}: ${x.findings.length} finding(s) to ${x.newDueOn}`);
      }),
    );

  xt.command('list')
    .description('SLA extensions, newest first')
    .addOption(statusOption(EXTENSION_STATUSES))
    .option('--finding <id>', 'only those naming this finding')
    .option('--json', 'print JSON')
    .action((opts: { status?: string; finding?: string; json?: boolean }) =>
      run(async (client) => {
        if (opts.finding) findingId(opts.finding);
        const r = await call<{ items: SlaExtension[]; total: number }>(client, 'GET', '/api/sla-extensions', { query: { status: opts.status, findingId: opts.finding, limit: '500' } });
        if (opts.json) return printJson(r);
        const rows = r.items.map((x) => ({ ...x, findingIds: x.findings.map((f) => f.id).join(','), by: x.requestedBy.name, decider: x.decidedBy?.name ?? '' }));
        console.log(table(rows, [
          { key: 'id', label: 'ID', max: 36 }, { key: 'status', label: 'STATUS' }, { key: 'newDueOn', label: 'NEW DUE' }, { key: 'findingIds', label: 'FINDINGS' },
          { key: 'incidentRef', label: 'INCIDENT' }, { key: 'by', label: 'REQUESTED BY' }, { key: 'decider', label: 'DECIDED BY' },
        ]));
        console.log(`${r.total} extension(s)`);
      }),
    );

  for (const [name, description, required] of [
    ['approve', 'Approve: the findings are due on the new day', false],
    ['reject', 'Reject a requested SLA extension', true],
    ['withdraw', 'Withdraw your own request', false],
  ] as const) {
    const c = xt.command(`${name} <id>`).description(description);
    if (required) c.requiredOption('--note <text>', 'why');
    else c.option('--note <text>', 'your note');
    c.option('--json', 'print JSON').action((id: string, opts: { note?: string; json?: boolean }) =>
      run(async (client) => {
        checkId(id, 'an SLA extension');
        const x = await call<SlaExtension>(client, 'POST', `/api/sla-extensions/${id}/${name}`, { body: opts.note === undefined ? {} : { note: opts.note } });
        if (opts.json) return printJson(x);
        const due = x.findings.map((f) => `${f.id} due ${f.dueAt ?? '-'}`).join(', ');
        console.log(`SLA extension ${x.id} ${x.status}${name === 'approve' ? `: ${due}` : ''}`);
      }),
    );
  }
}
