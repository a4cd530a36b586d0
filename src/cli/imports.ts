import fs from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { SCAN_FORMATS } from '../domain/scanners/report.js';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

function parseFormat(v: string): string {
  if (!(SCAN_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${SCAN_FORMATS.join(', ')}`);
  return v;
}

interface Summary {
  importId: string;
  format: string;
  scanner: string;
  fileName: string | null;
  bytes: number;
  assets: { reported: number; matched: number; created: number; matchedBy: Record<string, number>; createdForReview: { id: string; hostname: string }[] };
  findings: { reported: number; new: number; seenAgain: number; reopened: number; resolved: number; validationsLifted: number; validatedByVex: number };
  vex: { statements: number; findingsValidated: number; unmatched: number };
  skipped: { reason: string; count: number }[];
  ms: number;
}

export function printSummary(s: Summary): void {
  const by = Object.entries(s.assets.matchedBy)
    .filter(([k]) => k !== 'created')
    .map(([k, n]) => `${n} by ${k}`)
    .join(', ');
  console.log(`${s.scanner} report (${s.format}) imported in ${(s.ms / 1000).toFixed(1)} s: import ${s.importId}`);
  console.log(`assets:   ${s.assets.reported} in the report; ${s.assets.matched} matched${by ? ` (${by})` : ''}; ${s.assets.created} created for review`);
  const f = s.findings;
  console.log(`findings: ${f.reported} reported; ${f.new} new, ${f.seenAgain} seen again, ${f.reopened} reopened, ${f.resolved} resolved by scan`);
  if (f.validationsLifted || f.validatedByVex) console.log(`validation: ${f.validatedByVex} marked not affected by the report's VEX analysis, ${f.validationsLifted} marks lifted (evidence changed)`);
  if (s.vex.statements) console.log(`VEX:      ${s.vex.statements} statement(s); ${s.vex.findingsValidated} finding(s) marked not affected; ${s.vex.unmatched} not_affected statement(s) matched no finding`);
  const skipped = s.skipped.reduce((n, k) => n + k.count, 0);
  if (skipped) {
    console.log(`skipped:  ${skipped}`);
    for (const k of s.skipped) console.log(`  ${k.count} × ${k.reason}`);
  }
  if (s.assets.createdForReview.length) {
    console.log('created for review:');
    console.log(table(s.assets.createdForReview, [{ key: 'hostname', label: 'HOST' }, { key: 'id', label: 'ID' }]));
  }
}

/** `patchloop import FILE` and `patchloop imports …`: scanner reports into the register (VUL-2). */
export function importCommands(program: Command, run: Runner) {
  program
    .command('import <file>')
    .description(`Import a scanner report (${SCAN_FORMATS.join(', ')}; gzip too): all or nothing; "-" reads stdin`)
    .option('--format <format>', 'the report format (default: detected from the content)', parseFormat)
    .option('--map <FIELD=COLUMN,…>', 'CSV only: which column holds what (host, fqdn, address, agentId, image, vulnerability, severity, cvss, package, version, fixedVersion, ecosystem, title, location, output)')
    .option('--json', 'print the summary as JSON')
    .action((file: string, opts: { format?: string; map?: string; json?: boolean }) =>
      run(async (client) => {
        if (file !== '-' && !fs.existsSync(file)) throw new Error(`${file}: no such file`);
        const stream = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
        const s = await call<Summary>(client, 'POST', '/api/imports', {
          stream,
          query: { format: opts.format, fileName: file === '-' ? undefined : path.basename(file), map: opts.map },
        });
        if (opts.json) return printJson(s);
        printSummary(s);
      }),
    );

  const imports = program.command('imports').description('Past scanner imports');
  imports
    .command('list')
    .description('Scanner imports, newest first')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action((opts: { limit: string; json?: boolean }) =>
      run(async (client) => {
        const rows = await call<Record<string, any>[]>(client, 'GET', '/api/imports', { query: { limit: opts.limit } });
        if (opts.json) return printJson(rows);
        console.log(
          table(
            rows.map((r) => ({ ...r, assets: r.counts.assets, created: r.counts.created, findings: r.counts.findings, new: r.counts.new, resolved: r.counts.resolved })),
            [
              { key: 'importedAt', label: 'IMPORTED' }, { key: 'format', label: 'FORMAT' }, { key: 'fileName', label: 'FILE', max: 40 }, { key: 'assets', label: 'ASSETS' },
              { key: 'created', label: 'CREATED' }, { key: 'findings', label: 'FINDINGS' }, { key: 'new', label: 'NEW' }, { key: 'resolved', label: 'RESOLVED' }, { key: 'actor', label: 'BY' }, { key: 'id', label: 'ID' },
            ],
          ),
        );
      }),
    );
  imports
    .command('show <id>')
    .description('What one import did')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      run(async (client) => {
        const s = await call<Summary>(client, 'GET', `/api/imports/${encodeURIComponent(id)}`);
        if (opts.json) return printJson(s);
        printSummary(s);
      }),
    );
}
