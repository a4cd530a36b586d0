import fs from 'node:fs';
import type { Command } from 'commander';
import { ASSET_SORT_FIELDS } from '../domain/assets/asset.js';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

const FILTERS = ['q', 'environment', 'systemType', 'department', 'location', 'businessCriticality', 'networkExposure', 'osFamily', 'maintenanceGroup', 'tag', 'ownerTeamId', 'ownerUserId', 'unowned', 'inventory', 'reviewRequired', 'lifecycle'] as const;
const FIELD_FLAGS: [string, string][] = [
  ['hostname', 'host name'], ['fqdn', 'fully qualified domain name'], ['ip-addresses', 'addresses, comma-separated'],
  ['os-family', 'linux|windows|macos|bsd|network_os|other'], ['os-name', 'OS name'], ['os-version', 'OS version'],
  ['environment', 'production|staging|test|development'], ['system-type', 'web_server|database|application_server|network_hardware|desktop_workstation|…'],
  ['department', 'department'], ['location', 'location'], ['owner-user-id', 'owning user id'], ['owner-team-id', 'owning team id'],
  ['business-criticality', 'critical|high|medium|low'], ['network-exposure', 'internet_facing|internal|isolated'],
  ['maintenance-group', 'maintenance group'], ['tags', 'tags, comma-separated'], ['supplier', 'supplier managing it'], ['description', 'free text'],
];

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function fieldsFrom(opts: Record<string, string | undefined>) {
  const body: Record<string, unknown> = {};
  for (const [flag] of FIELD_FLAGS) {
    const k = camel(flag);
    const v = opts[k];
    if (v === undefined) continue;
    body[k] = k === 'ipAddresses' || k === 'tags' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v === '' ? null : v;
  }
  return body;
}

const COLUMNS = [
  { key: 'hostname', label: 'HOSTNAME' },
  { key: 'environment', label: 'ENV' },
  { key: 'systemType', label: 'TYPE' },
  { key: 'businessCriticality', label: 'CRIT' },
  { key: 'networkExposure', label: 'EXPOSURE' },
  { key: 'department', label: 'DEPARTMENT', max: 24 },
  { key: 'owner.name', label: 'OWNER', max: 24 },
  { key: 'id', label: 'ID', max: 36 },
];

export function assetCommands(program: Command, run: Runner) {
  const assets = program.command('assets').description('The asset register (INV-1)');

  const list = assets.command('list').description('List assets (filters as in the API)').option('--json', 'print JSON').option('--limit <n>', 'page size', '50').option('--all', 'every page')
    .option('--sort <field>', ASSET_SORT_FIELDS.join('|'), 'hostname').option('--desc', 'descending order');
  for (const f of FILTERS) list.option(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`, `filter by ${f}`);
  list.action((opts) =>
    run(async (client) => {
      const query: Record<string, string | undefined> = { limit: opts.limit, sort: opts.sort, order: opts.desc ? 'desc' : 'asc' };
      for (const f of FILTERS) query[f] = opts[f];
      const items: unknown[] = [];
      let total = 0;
      for (let cursor: string | undefined; ; ) {
        const page = await call(client, 'GET', '/api/assets', { query: { ...query, cursor } });
        items.push(...page.items);
        total = page.total;
        if (!opts.all || !page.nextCursor) break;
        cursor = page.nextCursor;
      }
      if (opts.json) printJson({ items, total });
      else console.log(`${table(items as Record<string, unknown>[], COLUMNS)}\n${items.length} of ${total} asset(s)`);
    }),
  );

  assets.command('get <id>').description('Show one asset').option('--json', 'print JSON').action((id, opts) =>
    run(async (client) => {
      const a = await call(client, 'GET', `/api/assets/${encodeURIComponent(id)}`);
      if (opts.json) printJson(a);
      else for (const [k, v] of Object.entries(a)) console.log(`${k.padEnd(20)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`);
    }),
  );

  const create = assets.command('create').description('Create an asset').option('--json', 'print JSON');
  for (const [flag, help] of FIELD_FLAGS) create.option(`--${flag} <value>`, help);
  create.action((opts) =>
    run(async (client) => {
      const a = await call(client, 'POST', '/api/assets', { body: fieldsFrom(opts) });
      if (opts.json) printJson(a);
      else console.log(`created ${a.hostname} (${a.id})`);
    }),
  );

  const update = assets.command('update <id>').description('Change fields of an asset (empty value clears a field)').option('--json', 'print JSON');
  for (const [flag, help] of FIELD_FLAGS) update.option(`--${flag} <value>`, help);
  update.action((id, opts) =>
    run(async (client) => {
      const a = await call(client, 'PATCH', `/api/assets/${encodeURIComponent(id)}`, { body: fieldsFrom(opts) });
      if (opts.json) printJson(a);
      else console.log(`updated ${a.hostname} (version ${a.version})`);
    }),
  );

  for (const verb of ['decommission', 'reactivate'] as const) {
    assets.command(`${verb} <id>`).description(verb === 'decommission' ? 'Retire an asset (history is kept)' : 'Bring a decommissioned asset back').option('--reason <text>', 'why').action((id, opts) =>
      run(async (client) => {
        const a = await call(client, 'POST', `/api/assets/${encodeURIComponent(id)}/${verb}`, { body: { reason: opts.reason ?? null } });
        console.log(`${a.hostname} is now ${a.lifecycle}`);
      }),
    );
  }

  assets.command('review <id>').description('Confirm an asset a scanner import created (find them with `assets list --review-required true`)').action((id) =>
    run(async (client) => {
      const a = await call(client, 'POST', `/api/assets/${encodeURIComponent(id)}/review`);
      console.log(`${a.hostname} confirmed: no longer flagged for review`);
    }),
  );

  assets.command('import <file>').description('Import a CSV file: all rows or none ("-" reads stdin)').option('--dry-run', 'validate and count only').option('--json', 'print JSON').action((file, opts) =>
    run(async (client) => {
      const csv = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
      const s = await call(client, 'POST', '/api/assets/import', { raw: csv, contentType: 'text/csv', query: { dryRun: opts.dryRun ? 'true' : undefined } });
      if (opts.json) printJson(s);
      else console.log(`${s.dryRun ? 'dry run: would import' : 'imported'} ${s.rows} row(s): ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged`);
    }),
  );

  const exp = assets.command('export [file]').description('Export assets as CSV (stdout without a file)');
  for (const f of FILTERS) exp.option(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`, `filter by ${f}`);
  exp.action((file, opts) =>
    run(async (client) => {
      const query: Record<string, string | undefined> = {};
      for (const f of FILTERS) query[f] = opts[f];
      const csv = await call<string>(client, 'GET', '/api/assets/export', { query });
      if (file) fs.writeFileSync(file, csv);
      else process.stdout.write(csv);
    }),
  );
}
