import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { type Command, Option } from 'commander';
import { CONTROL_KINDS } from '../domain/priority/policy.js';
import { type ApiClient, call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/** End of life (LEG-1, LEG-2): the dataset, each asset's state and risk class, compensating controls. */

const when = (e: unknown) => (e === true ? 'ended' : e === false ? 'no end fixed' : typeof e === 'string' ? e : '?');

function describeLoad(s: Record<string, any>): string {
  if (s.notModified) return `end-of-life dataset not modified since the last download (${s.products} products, ${s.cycles} cycles, version ${s.version})`;
  return `end-of-life dataset loaded from ${s.source}: ${s.products} products, ${s.cycles} cycles (${s.added} added, ${s.changed} changed, ${s.removed} removed), version ${s.version}; ${s.assetsEvaluated} asset(s) evaluated again`;
}

/** A dataset file as JSON text (gzip is unpacked here); refused locally when it is not JSON. */
export function readDatasetFile(file: string): string {
  let bytes: Buffer = fs.readFileSync(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}; nothing was loaded`);
  }
  return text;
}

function printAssetEol(e: Record<string, any>) {
  const line = (i: Record<string, any>) => {
    const cycle = i.cycle ?? '(unknown cycle)';
    const days = i.daysLeft === null ? '' : i.daysLeft > 0 ? `, ${i.daysLeft} days left` : `, ended ${-i.daysLeft} days ago`;
    const covered = i.coveredBy ? `; built and patched by ${i.coveredBy} (${i.effectiveState})` : '';
    const pkgs = i.packages?.length ? ` [${i.packages.join(', ')}]` : '';
    return `  ${i.product} ${cycle}: ${i.state} (end of support ${when(i.eol)}${days})${covered}${pkgs}`;
  };
  console.log(`${e.hostname}: ${e.state}, risk ${e.risk} — ${e.riskReason}`);
  console.log(e.os ? `OS (${e.os.detectedFrom}):\n${line(e.os)}` : 'OS: not recognised');
  if (e.software.length) console.log(`Software:\n${e.software.map(line).join('\n')}`);
  console.log(`Inventory required every ${e.monitoring.inventoryMaxAgeDays} day(s)${e.monitoring.raised ? ' (raised: unsupported)' : ''}`);
  if (e.controls.length) {
    console.log('Compensating controls:');
    for (const c of e.controls) console.log(`  [${c.status}] ${c.control} (${c.kind}) — owner ${c.owner?.name ?? 'none'}, review ${c.reviewDate}${c.reviewOverdue ? ' (OVERDUE)' : ''} (${c.id})`);
  } else if (e.needsControl) console.log('No compensating control recorded: add one with `patchloop eol control add`.');
}

async function showAsset(client: ApiClient, id: string, json?: boolean) {
  const e = await call(client, 'GET', `/api/assets/${encodeURIComponent(id)}/eol`);
  if (json) printJson(e);
  else printAssetEol(e);
}

function controlBody(opts: Record<string, string | undefined>) {
  const body: Record<string, unknown> = {};
  if (opts.control !== undefined) body.control = opts.control;
  if (opts.kind !== undefined) body.kind = opts.kind;
  if (opts.description !== undefined) body.description = opts.description || null;
  if (opts.ownerUserId !== undefined) body.ownerUserId = opts.ownerUserId;
  if (opts.ownerTeamId !== undefined) body.ownerTeamId = opts.ownerTeamId;
  if (opts.reviewDate !== undefined) body.reviewDate = opts.reviewDate;
  return body;
}

export function eolCommands(program: Command, run: Runner) {
  const eol = program.command('eol').description('End of life of operating systems and server software (LEG-1, LEG-2)');

  eol.command('status').description('The loaded dataset and how many assets are unsupported or soon').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const [d, l] = await Promise.all([call(client, 'GET', '/api/eol/dataset'), call(client, 'GET', '/api/eol/assets', { query: { limit: '1' } })]);
      if (opts.json) return printJson({ dataset: d, counts: l.counts });
      console.log(`dataset: ${d.source}\n  version ${d.version}, ${d.products} products, ${d.cycles} cycles, loaded ${d.loadedAt} by ${d.loadedBy}`);
      const c = l.counts;
      console.log(`assets: ${c.unsupported} unsupported (${c.unsupportedWithoutControl} without a compensating control), ${c.eolSoon} within 90 days of end of support, ${c.supported} supported, ${c.unknown} not recognised`);
      console.log(`risk: ${Object.entries(c.byRisk).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }),
  );

  eol.command('import <file>').description('Replace the dataset with a file (endoflife.date cycle layout or API v1 JSON, gzip or not); all or nothing').option('--json', 'print JSON').action((file: string, opts) =>
    run(async (client) => {
      const s = await call(client, 'POST', '/api/eol/dataset', { raw: readDatasetFile(file), contentType: 'application/json', query: { source: path.resolve(file) } });
      if (opts.json) printJson(s);
      else console.log(describeLoad(s));
    }),
  );

  eol.command('sync').description('Download the dataset (endoflife.date API v1 by default) on the server and load it').option('--url <url>', 'mirror to fetch from').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const s = await call(client, 'POST', '/api/eol/dataset/sync', { query: { url: opts.url } });
      if (opts.json) printJson(s);
      else console.log(describeLoad(s));
    }),
  );

  eol
    .command('assets')
    .description('Active assets that are unsupported or within 90 days of it, riskiest first')
    .option('--state <states>', 'unsupported, eol_soon, supported, unknown (comma-separated)', 'unsupported,eol_soon')
    .option('--risk <class>', 'critical|high|medium|low|none|unknown')
    .option('--without-control', 'only those without an active compensating control')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/eol/assets', { query: { state: opts.state, risk: opts.risk, withoutControl: opts.withoutControl ? 'true' : undefined, limit: opts.limit } });
        if (opts.json) return printJson(r);
        const rows = r.items.map((i: any) => ({ ...i, what: i.products.map((p: any) => `${p.product} ${p.cycle ?? '?'} (${when(p.eol)})`).join(', ') }));
        console.log(table(rows, [{ key: 'asset.hostname', label: 'HOSTNAME' }, { key: 'state', label: 'STATE' }, { key: 'risk', label: 'RISK' }, { key: 'os', label: 'OS', max: 24 }, { key: 'what', label: 'END OF SUPPORT', max: 60 }, { key: 'activeControls', label: 'CONTROLS' }, { key: 'asset.id', label: 'ID', max: 36 }]));
        console.log(`${r.items.length} of ${r.total} asset(s)`);
      }),
    );

  eol.command('asset <id>').description("An asset's OS and software end-of-life state, risk class and controls").option('--json', 'print JSON').action((id: string, opts) => run((client) => showAsset(client, id, opts.json)));

  // `patchloop assets eol <id>`, next to the other per-asset commands.
  const assets = program.commands.find((c) => c.name() === 'assets');
  assets?.command('eol <id>').description("The asset's end-of-life state (same as `patchloop eol asset`)").option('--json', 'print JSON').action((id: string, opts) => run((client) => showAsset(client, id, opts.json)));

  const control = eol.command('control').description('Compensating controls (LEG-2; credited by the priority rules, VUL-4)');
  const fields = (c: Command) =>
    c
      .addOption(new Option('--kind <kind>', 'waf, segmentation, isolation and monitoring lower the priority of the asset\'s findings').choices([...CONTROL_KINDS]))
      .option('--description <text>', 'how it works, where the evidence is')
      .option('--owner-user-id <id>', 'the person who answers for it (default: you)')
      .option('--owner-team-id <id>', '…or the team');
  fields(control.command('add <assetId>').description('Record a control').requiredOption('--control <text>', 'what the control is').requiredOption('--review-date <YYYY-MM-DD>', 'next review').option('--json', 'print JSON')).action((assetId: string, opts) =>
    run(async (client) => {
      const c = await call(client, 'POST', `/api/assets/${encodeURIComponent(assetId)}/eol/controls`, { body: controlBody(opts) });
      if (opts.json) printJson(c);
      else console.log(`recorded control ${c.id}: ${c.control} (owner ${c.owner?.name ?? 'none'}, review ${c.reviewDate})`);
    }),
  );
  fields(control.command('update <assetId> <controlId>').description('Change an active control').option('--control <text>', 'what the control is').option('--review-date <YYYY-MM-DD>', 'next review').option('--json', 'print JSON')).action((assetId: string, controlId: string, opts) =>
    run(async (client) => {
      const c = await call(client, 'PATCH', `/api/assets/${encodeURIComponent(assetId)}/eol/controls/${encodeURIComponent(controlId)}`, { body: controlBody(opts) });
      if (opts.json) printJson(c);
      else console.log(`updated control ${c.id}: ${c.control} (owner ${c.owner?.name ?? 'none'}, review ${c.reviewDate})`);
    }),
  );
  control.command('retire <assetId> <controlId>').description('Retire a control (kept as history)').requiredOption('--reason <text>', 'why (recorded in the audit trail)').option('--json', 'print JSON').action((assetId: string, controlId: string, opts) =>
    run(async (client) => {
      const c = await call(client, 'POST', `/api/assets/${encodeURIComponent(assetId)}/eol/controls/${encodeURIComponent(controlId)}/retire`, { body: { reason: opts.reason } });
      if (opts.json) printJson(c);
      else console.log(`retired control ${c.id}: ${c.control}`);
    }),
  );
}
