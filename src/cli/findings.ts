import fs from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { packagesFromCycloneDx, packagesFromCycloneDxXml } from '../domain/inventory/cyclonedx.js';
import { packagesFromSpdx } from '../domain/inventory/spdx.js';
import { parseDpkgStatus } from '../domain/inventory/dpkg-status.js';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/** Inventory upload, matching runs with a progress bar, and the findings list. */
export function findingCommands(program: Command, run: Runner) {
  const assets = program.commands.find((c) => c.name() === 'assets') ?? program.command('assets');
  assets
    .command('inventory <id>')
    .description("Replace an asset's installed software from a dpkg status file and/or a CycloneDX SBOM, then re-match it")
    .option('--dpkg-status <file>', "the host's /var/lib/dpkg/status (or a copy)")
    .option('--sbom <file>', 'a CycloneDX or SPDX JSON SBOM: its packages with package URLs (deb, rpm, apk, npm, pypi, maven, golang)')
    .requiredOption('--release <release>', 'release of the host: Debian/Ubuntu codename (bookworm) or os-release VERSION_ID (9.4, 3.19)')
    .option('--distro <id>', 'os-release ID of the host (debian, ubuntu, alpine, rocky, almalinux, rhel)', 'debian')
    .option('--ecosystem <name>', "the host's package manager (deb, rpm, apk)", 'deb')
    .option('--json', 'print JSON')
    .action((id, opts) =>
      run(async (client) => {
        if (!opts.dpkgStatus && !opts.sbom) throw new Error('give --dpkg-status FILE, --sbom FILE or both');
        const pkgs = opts.dpkgStatus ? parseDpkgStatus(fs.readFileSync(opts.dpkgStatus, 'utf8')).filter((p) => p.state === 'installed') : [];
        const packages: Record<string, unknown>[] = pkgs.map((p) => ({ name: p.name, version: p.version, arch: p.architecture ?? '', sourceName: p.source, sourceVersion: p.sourceVersion }));
        if (opts.sbom) {
          const text = fs.readFileSync(opts.sbom, 'utf8');
          let sbom: ReturnType<typeof packagesFromCycloneDx>;
          if (text.trimStart().startsWith('<')) sbom = packagesFromCycloneDxXml(text);
          else {
            let doc: unknown;
            try {
              doc = JSON.parse(text);
            } catch (err) {
              throw new Error(`${opts.sbom} is neither JSON nor XML: ${(err as Error).message}`);
            }
            const isSpdx = typeof doc === 'object' && doc !== null && 'spdxVersion' in doc;
            sbom = isSpdx ? packagesFromSpdx(doc) : packagesFromCycloneDx(doc);
          }
          if (sbom.skipped.length) console.error(`${opts.sbom}: ${sbom.skipped.length} component(s) skipped (no purl, or a type not matched)`);
          // What dpkg reports wins over the same package seen by the SBOM tool.
          const have = new Set(packages.map((p) => `${opts.ecosystem}\t${p.name}\t${p.arch}`));
          for (const p of sbom.packages) {
            if (have.has(`${p.ecosystem}\t${p.name}\t${p.arch}`)) continue;
            packages.push(p.ecosystem === opts.ecosystem ? { ...p, ecosystem: undefined } : p);
          }
        }
        const body = { ecosystem: opts.ecosystem, distro: opts.distro, release: opts.release, source: opts.sbom ? 'cli+sbom' : 'cli', packages };
        const r = await call(client, 'PUT', `/api/assets/${encodeURIComponent(id)}/inventory`, { body });
        if (opts.json) return printJson(r);
        console.log(r.unchanged ? `inventory unchanged (${r.packages} packages)` : `inventory stored: ${r.packages} packages (${r.added} added, ${r.removed} removed)`);
        if (r.match) console.log(`findings: ${r.match.opened} opened, ${r.match.reopened} reopened, ${r.match.resolved} resolved (${r.match.ms} ms)`);
      }),
    );

  program
    .command('match')
    .description('Re-evaluate every asset against every advisory (a background job; shows its progress)')
    .option('--no-wait', 'return once the run is queued')
    .action((opts) =>
      run(async (client) => {
        let r = await call(client, 'POST', '/api/matching/runs');
        if (!opts.wait) return console.log(`run ${r.id} ${r.status}`);
        const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'matching [{bar}] {percentage}% {phase}', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
        bar?.start(100, 0, { phase: r.phase ?? r.status });
        while (r.status === 'queued' || r.status === 'running') {
          await new Promise((res) => setTimeout(res, 500));
          r = await call(client, 'GET', `/api/matching/runs/${r.id}`);
          bar?.update(r.progress, { phase: r.phase ?? r.status });
        }
        bar?.stop();
        if (r.status === 'failed') throw new Error(`matching run ${r.id} failed: ${r.error}`);
        const s = r.stats;
        console.log(`matched ${s.assets} asset(s), ${s.packagesEvaluated} distinct package(s): ${s.opened} opened, ${s.reopened} reopened, ${s.resolved} resolved, ${s.stillOpen} still open (${s.ms} ms)`);
      }),
    );

  const findings = program.command('findings').description('The findings register (filter, group, export, one finding in full)');
  findings
    .command('list')
    .description('Findings, filtered and sorted; --group-by counts them by vulnerability, asset or package; --csv exports every match')
    .option('--status <list>', 'open, resolved, false_positive, not_affected (comma-separated), or all', 'open')
    .option('--severity <list>', 'critical, high, medium, low, none (comma-separated)')
    .option('--kev <bool>', 'true: only CISA KEV vulnerabilities; false: none of them')
    .option('--epss-min <score>', 'EPSS score at least (0-1)')
    .option('--kev-due-before <date>', 'CISA KEV due date on or before YYYY-MM-DD')
    .option('--priority <list>', 'critical, high, medium, low, informational (comma-separated): the class the patch policy gives')
    .option('--sla-state <list>', 'on_track, due_soon, overdue, excepted, no_deadline (comma-separated)')
    .option('--emergency', 'only findings under the emergency procedure (actively exploited on an exposed asset)')
    .option('--due-before <date>', 'due on or before YYYY-MM-DD')
    .option('--mine', 'only findings on assets you or your teams own (e.g. --mine --sla-state overdue,due_soon --sort dueAt)')
    .option('--source <list>', 'engine, nessus, trivy, … (comma-separated): first source or present evidence')
    .option('--department <name>', "the asset's department")
    .option('--system-type <type>', "the asset's system type")
    .option('--environment <env>', "the asset's environment")
    .option('--owner <id>', "the asset's owning user or team id")
    .option('--exposure <exposure>', "the asset's network exposure")
    .option('--criticality <level>', "the asset's business criticality")
    .option('--asset <id>', 'asset id')
    .option('--vulnerability <id>', 'e.g. CVE-2024-1234 (or an alias)')
    .option('--package <name>', 'package name')
    .option('--search <text>', 'text in the vulnerability id or title, host name or package')
    .option('--view <name>', 'start from a saved view (options given here win)')
    .option('--sort <key>', 'severity, priority, dueAt, cvss, epss, firstSeen, lastSeen, hostname, vulnerability')
    .option('--order <dir>', 'asc or desc')
    .option('--group-by <what>', 'vulnerability, asset or package')
    .option('--sla-summary', 'the overdue figures instead: open findings by priority class and SLA state (e.g. --sla-summary --mine)')
    .option('--limit <n>', 'at most (a page)', '100')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--csv', 'every matching finding as CSV (the export; ignores --limit)')
    .option('--json', 'print JSON')
    .action((opts, cmd: Command) =>
      run(async (client) => {
        const query: Record<string, string | undefined> = {};
        if (opts.view) {
          const views = (await call(client, 'GET', '/api/findings/views')) as { name: string; query: string }[];
          const view = views.find((v) => v.name.toLowerCase() === String(opts.view).toLowerCase());
          if (!view) throw new Error(`no saved view named "${opts.view}" (you have: ${views.map((v) => v.name).join(', ') || 'none'})`);
          for (const [k, v] of new URLSearchParams(view.query)) query[k] = v;
        }
        const given: Record<string, string | undefined> = {
          severity: opts.severity, kev: opts.kev, epssMin: opts.epssMin, kevDueBefore: opts.kevDueBefore, source: opts.source,
          priority: opts.priority, slaState: opts.slaState, emergency: opts.emergency ? 'true' : undefined, dueBefore: opts.dueBefore, mine: opts.mine ? 'true' : undefined,
          department: opts.department, systemType: opts.systemType, environment: opts.environment, owner: opts.owner,
          networkExposure: opts.exposure, businessCriticality: opts.criticality, assetId: opts.asset, vulnerabilityId: opts.vulnerability,
          package: opts.package, q: opts.search, sort: opts.sort, order: opts.order,
        };
        for (const [k, v] of Object.entries(given)) if (v !== undefined) query[k] = v;
        // A view keeps its own statuses unless --status is given; "all" means any status.
        if (!opts.view || cmd.getOptionValueSource('status') !== 'default') query.status = opts.status === 'all' ? undefined : opts.status;

        if (opts.csv) return void process.stdout.write(await call<string>(client, 'GET', '/api/findings/export.csv', { query }));
        if (opts.slaSummary) {
          // Open findings in every state: the summary takes the filters, not --status, --sla-state or a sort.
          const { sort: _s, order: _o, status: _st, slaState: _sl, ...filters } = query;
          const r = await call(client, 'GET', '/api/findings/sla-summary', { query: filters });
          if (opts.json) return printJson(r);
          const row = (label: string, c: any) => ({ label, total: c.total, overdue: c.overdue, dueSoon: c.dueSoon, onTrack: c.onTrack, excepted: c.excepted, noDeadline: c.noDeadline, emergencies: c.emergencies });
          console.log(
            table([...r.byPriority.map((c: any) => row(c.priority, c)), row('all', r.totals)], [
              { key: 'label', label: 'PRIORITY' },
              { key: 'total', label: 'OPEN' },
              { key: 'overdue', label: 'OVERDUE' },
              { key: 'dueSoon', label: 'DUE SOON' },
              { key: 'onTrack', label: 'ON TRACK' },
              { key: 'excepted', label: 'EXCEPTED' },
              { key: 'noDeadline', label: 'NO DEADLINE' },
              { key: 'emergencies', label: 'EMERGENCIES' },
            ]),
          );
          console.log(`policy version ${r.policyVersion}; due soon from ${r.dueSoonPercent} % of the SLA window${r.unprioritised ? `; ${r.unprioritised} open finding(s) not prioritised yet` : ''}; as of ${r.asOf}`);
          return;
        }
        if (opts.groupBy) {
          const { sort: _s, order: _o, ...filters } = query;
          const r = await call(client, 'GET', '/api/findings/groups', { query: { ...filters, by: opts.groupBy, limit: opts.limit, cursor: opts.cursor } });
          if (opts.json) return printJson(r);
          console.log(
            table(r.items, [
              { key: 'label', label: opts.groupBy.toUpperCase(), max: 50 },
              { key: 'worstSeverity', label: 'WORST' },
              { key: 'open', label: 'OPEN' },
              { key: 'total', label: 'TOTAL' },
              { key: 'assets', label: 'ASSETS' },
            ]),
          );
          if (r.nextCursor) console.log(`more: --cursor ${r.nextCursor}`);
          return;
        }
        const r = await call(client, 'GET', '/api/findings', { query: { ...query, limit: opts.limit, cursor: opts.cursor } });
        if (opts.json) return printJson(r.items);
        const rows = r.items.map((f: any) => ({ ...f, due: f.dueAt ? `${f.dueAt.slice(0, 10)}${f.slaState && f.slaState !== 'on_track' ? ` ${f.slaState.replace('_', ' ')}` : ''}` : '', prio: f.priority ? `${f.priority}${f.emergency ? '!' : ''}` : '' }));
        console.log(
          table(rows, [
            { key: 'id', label: 'ID' },
            { key: 'prio', label: 'PRIORITY' },
            { key: 'due', label: 'DUE' },
            { key: 'severity', label: 'SEVERITY' },
            { key: 'vulnerabilityId', label: 'VULNERABILITY' },
            { key: 'asset.hostname', label: 'ASSET' },
            { key: 'package', label: 'PACKAGE', max: 30 },
            { key: 'installedVersion', label: 'INSTALLED', max: 24 },
            { key: 'fixedVersion', label: 'FIXED', max: 24 },
            { key: 'status', label: 'STATUS' },
            { key: 'sources', label: 'SOURCES', max: 24 },
          ]),
        );
        if (r.nextCursor) console.log(`more: --cursor ${r.nextCursor}`);
      }),
    );

  findings
    .command('show <id>')
    .description('One finding: what was found, every piece of evidence, the validation in force and the whole history')
    .option('--json', 'print JSON')
    .action((id, opts) =>
      run(async (client) => {
        const f = await call(client, 'GET', `/api/findings/${encodeURIComponent(id)}`);
        if (opts.json) return printJson(f);
        const line = (label: string, value: unknown) => console.log(`${`${label}:`.padEnd(15)}${value === null || value === undefined || value === '' ? '-' : String(value)}`);
        line('finding', f.id);
        line('vulnerability', `${f.vulnerabilityId}${f.title ? ` (${f.title})` : ''}`);
        line('severity', f.severity ? `${f.severity}${f.severitySource === 'evidence' ? ' (from evidence)' : ''}` : null);
        line('cvss', f.cvssScore);
        line('epss', f.epss?.score);
        line('kev', f.kev ? `added ${f.kev.dateAdded}, due ${f.kev.dueDate ?? '-'}` : null);
        line('asset', `${f.asset.hostname} (${f.asset.id}, ${f.asset.environment})`);
        line('package', f.package ? `${f.package} ${f.installedVersion ?? ''} (${f.ecosystem ?? '?'})` : null);
        line('fixed in', f.fixedVersion);
        line('status', f.status);
        line('sources', f.sources.join(', '));
        line('first seen', f.firstSeen);
        line('last seen', f.lastSeen);
        if (f.validation) line('validation', `${f.validation.status}${f.validation.justification ? ` (${f.validation.justification})` : ''} by ${f.validation.reviewer.name}: ${f.validation.reason}`);
        console.log('');
        console.log('EVIDENCE');
        console.log(
          f.evidence.length
            ? table(f.evidence, [
                { key: 'source', label: 'SOURCE' },
                { key: 'sourceKey', label: 'KEY', max: 40 },
                { key: 'severity', label: 'SEVERITY' },
                { key: 'installedVersion', label: 'INSTALLED', max: 24 },
                { key: 'fixedVersion', label: 'FIXED', max: 24 },
                { key: 'firstSeen', label: 'FIRST SEEN' },
                { key: 'lastSeen', label: 'LAST SEEN' },
                { key: 'goneAt', label: 'GONE' },
              ])
            : '(none: found by the engine from the installed software)',
        );
        console.log('');
        console.log('HISTORY');
        console.log(
          table(f.history, [
            { key: 'at', label: 'WHEN' },
            { key: 'kind', label: 'WHAT' },
            { key: 'to', label: 'TO' },
            { key: 'reason', label: 'REASON', max: 80 },
          ]),
        );
      }),
    );
}
