import fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { HOST_MATCHES, IMPORT_MODES, MAPPING_FIELDS, type MappingField } from '../domain/inventory/cmdb-csv.js';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/** "host=CI Name,name=Software" (repeatable) → the API's mapping object; a field name is checked here, a column by the server. */
export function parseMap(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...previous };
  for (const part of value.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const field = part.slice(0, eq).trim();
    if (eq < 1 || !(MAPPING_FIELDS as readonly string[]).includes(field)) {
      throw new InvalidArgumentError(`"${part.trim()}" is not FIELD=COLUMN with FIELD one of ${MAPPING_FIELDS.join(', ')}`);
    }
    out[field as MappingField] = part.slice(eq + 1).trim();
  }
  return out;
}

const read = (file: string) => (file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8'));

/** `patchloop inventory …`: imports of installed software (INV-3). */
export function inventoryCommands(program: Command, run: Runner) {
  const inventory = program.command('inventory').description('Installed software imports: CMDB/CSV for many assets, SBOM files for one');

  inventory
    .command('import-csv <file>')
    .description('Import installed packages of many assets from a CSV or CMDB export: every asset or none ("-" reads stdin)')
    .requiredOption('--map <FIELD=COLUMN,…>', `which header column holds what; fields: ${MAPPING_FIELDS.join(', ')} (host, name and version, or purl, are required)`, parseMap)
    .option('--asset <id>', 'every row belongs to this asset (a CSV of one asset; no host column)')
    .option('--host-match <how>', `how host cells find assets: ${HOST_MATCHES.join('|')}`, 'auto')
    .option('--mode <mode>', `${IMPORT_MODES.join('|')}: replace each asset's packages of the ecosystems the file lists, or only add and update`, 'replace')
    .option('--ecosystem <name>', "ecosystem of rows without one (default: the asset's OS package manager)")
    .option('--release <release>', 'release of assets that have no inventory yet (bookworm, 22.04, 9.4)')
    .option('--distro <id>', 'distribution of assets that have no inventory yet (default debian)')
    .option('--source <name>', 'recorded as the inventory source', 'cmdb-csv')
    .option('--dry-run', 'check every row and show what would change; write nothing')
    .option('--json', 'print JSON')
    .action((file, opts) =>
      run(async (client) => {
        const body = { csv: read(file), mapping: opts.map, assetId: opts.asset, hostMatch: opts.hostMatch, mode: opts.mode, ecosystem: opts.ecosystem, release: opts.release, distro: opts.distro, source: opts.source };
        const s = await call(client, 'POST', '/api/inventory/import/csv', { body, query: { dryRun: opts.dryRun ? 'true' : undefined } });
        if (opts.json) return printJson(s);
        const changed = s.assets.filter((a: { unchanged: boolean }) => !a.unchanged);
        const sum = (k: 'added' | 'removed') => s.assets.reduce((n: number, a: Record<string, number>) => n + (a[k] ?? 0), 0);
        console.log(`${s.dryRun ? 'dry run, nothing written: would update' : 'updated'} ${changed.length} of ${s.assets.length} asset(s) from ${s.rows} row(s): ${sum('added')} package(s) added, ${sum('removed')} removed${s.skippedCount ? `; ${s.skippedCount} row(s) skipped` : ''}`);
        if (s.assets.length) {
          const rows = s.assets.map((a: Record<string, unknown> & { findings: { opened: number; resolved: number } | null }) => ({ ...a, opened: a.findings?.opened ?? '', resolved: a.findings?.resolved ?? '' }));
          console.log(table(rows, [{ key: 'hostname', label: 'HOST' }, { key: 'listed', label: 'ROWS' }, { key: 'packages', label: 'PACKAGES' }, { key: 'added', label: 'ADDED' }, { key: 'removed', label: 'REMOVED' }, { key: 'opened', label: 'OPENED' }, { key: 'resolved', label: 'RESOLVED' }, { key: 'assetId', label: 'ID' }]));
        }
        for (const k of s.skipped) console.error(`row ${k.row} skipped: ${k.reason}`);
        if (s.importId) console.log(`import ${s.importId} recorded in the audit trail`);
      }),
    );

  inventory
    .command('import-file <assetId> <file>')
    .description("Update one asset's installed software from a dpkg status file or an SBOM (CycloneDX JSON/XML, SPDX JSON/tag-value); the format is detected")
    .option('--format <format>', 'dpkg-status|cyclonedx|spdx (default: detected)')
    .option('--release <release>', "the host's release (required for a first inventory)")
    .option('--json', 'print JSON')
    .action((assetId, file, opts) =>
      run(async (client) => {
        const r = await call(client, 'POST', `/api/assets/${encodeURIComponent(assetId)}/inventory/import`, { body: { content: read(file), format: opts.format, release: opts.release } });
        if (opts.json) return printJson(r);
        console.log(r.unchanged ? `inventory unchanged (${r.packages} packages)` : `inventory stored: ${r.packages} packages (${r.added} added, ${r.removed} removed)${r.skipped ? `, ${r.skipped} component(s) skipped` : ''}`);
        if (r.match) console.log(`findings: ${r.match.opened} opened, ${r.match.reopened} reopened, ${r.match.resolved} resolved`);
      }),
    );
}
