import type { Command } from 'commander';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/** Stored text on a terminal: control characters never reach it as escapes. */
function clean(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '?');
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '' : `${(x * 100).toFixed(1)}%`);

/** The vulnerability register: `vulns list` and `vulns show ID`. */
export function vulnerabilityCommands(program: Command, run: Runner) {
  const vulns = program.command('vulns').alias('vulnerabilities').description('The vulnerability register: what affects the fleet, with CVSS, EPSS and KEV');

  vulns
    .command('list')
    .description('Vulnerabilities with open findings (--all: every known one), most findings first')
    .option('--all', 'every known vulnerability, not only those affecting assets')
    .option('--kev', 'only those in the CISA Known Exploited Vulnerabilities catalogue')
    .option('--severity <severity>', 'none, low, medium, high or critical')
    .option('--min-cvss <score>', 'CVSS base score at least')
    .option('--min-epss <probability>', 'EPSS score at least (0-1)')
    .option('--search <text>', 'id, alias or description text')
    .option('--sort <key>', 'openFindings, cvss, epss, id or kevDateAdded', 'openFindings')
    .option('--order <order>', 'asc or desc')
    .option('--limit <n>', 'at most', '50')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/vulnerabilities', {
          query: {
            scope: opts.all ? 'all' : undefined,
            kev: opts.kev ? 'true' : undefined,
            severity: opts.severity,
            minCvss: opts.minCvss,
            minEpss: opts.minEpss,
            q: opts.search,
            sort: opts.sort,
            order: opts.order,
            limit: opts.limit,
          },
        });
        if (opts.json) return printJson(r.items);
        const rows = r.items.map((v: any) => ({
          id: v.id,
          cvss: v.cvss.score === null ? '' : `${v.cvss.score.toFixed(1)} ${v.cvss.severity ?? ''}`.trim(),
          epss: pct(v.epss?.score),
          kev: v.kev ? `KEV ${v.kev.dateAdded}${v.kev.ransomware ? ' ransomware' : ''}` : '',
          assets: v.counts.assets,
          packages: v.counts.packages,
          findings: v.counts.openFindings,
          description: v.description,
        }));
        console.log(
          table(rows, [
            { key: 'id', label: 'VULNERABILITY' },
            { key: 'cvss', label: 'CVSS' },
            { key: 'epss', label: 'EPSS' },
            { key: 'kev', label: 'KEV', max: 30 },
            { key: 'assets', label: 'ASSETS' },
            { key: 'packages', label: 'PACKAGES' },
            { key: 'findings', label: 'FINDINGS' },
            { key: 'description', label: 'DESCRIPTION', max: 60 },
          ]),
        );
        if (r.nextCursor) console.log(`(more: raise --limit, or use the API with cursor=${r.nextCursor})`);
      }),
    );

  vulns
    .command('show <id>')
    .description('One vulnerability (id or alias, e.g. CVE-2024-1234 or GHSA-…): CVSS, EPSS, KEV, references, advisories, affected assets')
    .option('--json', 'print JSON')
    .action((id, opts) =>
      run(async (client) => {
        const v = await call(client, 'GET', `/api/vulnerabilities/${encodeURIComponent(id)}`);
        if (opts.json) return printJson(v);
        const out: string[] = [];
        out.push(clean(v.id) + (v.aliases.length ? `  (aliases: ${v.aliases.map(clean).join(', ')})` : ''));
        if (v.title) out.push(clean(v.title));
        if (v.description) out.push('', clean(v.description));
        out.push('');
        out.push(`CVSS:  ${v.cvss.score === null ? 'none' : `${v.cvss.score.toFixed(1)} ${v.cvss.severity ?? ''} (v${v.cvss.version ?? '?'})`}`);
        for (const e of v.cvss.entries) {
          const ours = e.computed ? ` computed ${e.computed.score.toFixed(1)}` : e.error ? ` (not scored: ${clean(e.error)})` : '';
          out.push(`       ${clean(e.source ?? 'unknown source')}: ${e.score ?? ''} ${clean(e.vector ?? '')}${ours}`.replace(/ +/g, ' '));
        }
        out.push(`EPSS:  ${v.epss ? `${pct(v.epss.score)} (percentile ${pct(v.epss.percentile)}, ${v.epss.date ?? 'undated'})` : 'none'}`);
        out.push(
          `KEV:   ${v.kev ? `added ${v.kev.dateAdded}, due ${v.kev.dueDate ?? '-'}${v.kev.ransomware ? ', known ransomware use' : ''}${v.kev.requiredAction ? ` — ${clean(v.kev.requiredAction)}` : ''}` : 'not listed'}`,
        );
        out.push(`Open findings: ${v.counts.openFindings} on ${v.counts.assets} asset(s), ${v.counts.packages} package(s)`);
        if (v.advisories.length) {
          out.push('', 'Advisories:');
          out.push(
            table(v.advisories, [
              { key: 'feed', label: 'FEED' },
              { key: 'release', label: 'RELEASE' },
              { key: 'package', label: 'PACKAGE', max: 30 },
              { key: 'state', label: 'STATE' },
              { key: 'fixedVersion', label: 'FIXED', max: 30 },
              { key: 'urgency', label: 'URGENCY' },
            ]),
          );
        }
        if (v.affected.length) {
          out.push('', 'Affected assets:');
          const rows = v.affected.flatMap((a: any) =>
            a.packages.map((p: any) => ({ hostname: a.asset.hostname, environment: a.asset.environment, criticality: a.asset.criticality, ...p, fixedVersion: p.fixedVersion ?? 'no fix yet' })),
          );
          out.push(
            table(rows, [
              { key: 'hostname', label: 'ASSET' },
              { key: 'environment', label: 'ENVIRONMENT' },
              { key: 'criticality', label: 'CRITICALITY' },
              { key: 'package', label: 'PACKAGE', max: 30 },
              { key: 'installedVersion', label: 'INSTALLED', max: 30 },
              { key: 'fixedVersion', label: 'FIXED', max: 30 },
            ]),
          );
          if (v.affectedTruncated) out.push(`(first assets only: see patchloop findings list --vulnerability ${clean(v.id)})`);
        }
        if (v.references.length) {
          out.push('', 'References:');
          for (const r of v.references) out.push(`  ${clean(r.url)}`);
        }
        console.log(out.join('\n'));
      }),
    );
}
