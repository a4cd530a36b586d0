import fs from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { VEX_JUSTIFICATIONS } from '../domain/scanners/report.js';
import { ApiError, call } from './client.js';
import { printJson } from './output.js';
import type { Runner } from './program.js';

/**
 * `patchloop findings validate|unvalidate|vex-export` (issue #5 §5, VUL-6).
 * The `findings` group belongs to findings.ts; these subcommands attach to it
 * (or create it when this runs first).
 */
function findingId(v: string, previous: string[] = []): string[] {
  if (!/^[0-9]{1,18}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a finding id (digits)`);
  return [...previous, v];
}

export function validationCommands(program: Command, run: Runner) {
  const findings = program.commands.find((c) => c.name() === 'findings') ?? program.command('findings').description('The findings register');

  findings
    .command('validate <ids...>')
    .description('Mark open findings false positive or not affected (all or none); the mark holds until a scan brings other evidence')
    .addOption(new Option('--status <status>', 'what the review found').choices(['false_positive', 'not_affected']).makeOptionMandatory())
    .addOption(new Option('--justification <j>', 'VEX justification (required for not_affected)').choices([...VEX_JUSTIFICATIONS]))
    .requiredOption('--reason <text>', 'why (at most 2,000 characters); exported as the VEX impact statement')
    .option('--json', 'print JSON')
    .action((ids: string[], opts: { status: string; justification?: string; reason: string; json?: boolean }) =>
      run(async (client) => {
        const findingIds = ids.reduce<string[]>((acc, v) => findingId(v, acc), []);
        if (opts.status === 'not_affected' && !opts.justification) throw new Error(`--justification is required with --status not_affected (${VEX_JUSTIFICATIONS.join(', ')})`);
        const r = await call(client, 'POST', '/api/findings/validation', {
          body: { findingIds, status: opts.status, justification: opts.justification ?? null, reason: opts.reason },
        });
        if (opts.json) return printJson(r);
        console.log(`${r.validated} finding(s) marked ${r.status === 'false_positive' ? 'false positive' : 'not affected'}`);
      }),
    );

  findings
    .command('unvalidate <id>')
    .description('Lift a false positive / not affected mark: the finding is open again')
    .requiredOption('--reason <text>', 'why the mark no longer holds')
    .option('--json', 'print JSON')
    .action((id: string, opts: { reason: string; json?: boolean }) =>
      run(async (client) => {
        findingId(id);
        const r = await call(client, 'DELETE', `/api/findings/${encodeURIComponent(id)}/validation`, { body: { reason: opts.reason } });
        if (opts.json) return printJson(r);
        console.log(`finding ${r.id} is open again`);
      }),
    );

  findings
    .command('vex-export')
    .description('Write the validation decisions as a VEX document (stdout without -o)')
    .addOption(new Option('--format <format>', 'document format').choices(['cyclonedx', 'openvex']).default('cyclonedx'))
    .option('--asset <id>', 'only this asset')
    .option('--vulnerability <id>', 'only this vulnerability (e.g. CVE-2024-1234)')
    .option('-o, --output <file>', 'write to this file')
    .action((opts: { format: string; asset?: string; vulnerability?: string; output?: string }) =>
      run(async (client) => {
        const res = await client.request('GET', '/api/findings/vex', { query: { format: opts.format, assetId: opts.asset, vulnerabilityId: opts.vulnerability } });
        if (res.status >= 400) {
          let problem = {};
          try {
            problem = res.json();
          } catch {
            problem = { detail: res.body.slice(0, 500) };
          }
          throw new ApiError(res.status, problem);
        }
        if (!opts.output) return void process.stdout.write(res.bytes);
        fs.writeFileSync(opts.output, res.bytes);
        const n = String(res.headers['x-vex-statements'] ?? '?');
        console.log(`${opts.format === 'openvex' ? 'OpenVEX' : 'CycloneDX'} VEX written to ${opts.output}: ${n} statement(s)`);
      }),
    );
}
