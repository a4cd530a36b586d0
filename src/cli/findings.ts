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

  const findings = program.command('findings').description('The findings register');
  findings
    .command('list')
    .option('--asset <id>', 'asset id')
    .option('--vulnerability <id>', 'e.g. CVE-2024-1234')
    .option('--status <status>', 'open or resolved', 'open')
    .option('--limit <n>', 'at most', '100')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/findings', { query: { assetId: opts.asset, vulnerabilityId: opts.vulnerability, status: opts.status, limit: opts.limit } });
        if (opts.json) return printJson(r.items);
        console.log(
          table(r.items, [
            { key: 'vulnerabilityId', label: 'VULNERABILITY' },
            { key: 'asset.hostname', label: 'ASSET' },
            { key: 'package', label: 'PACKAGE', max: 30 },
            { key: 'installedVersion', label: 'INSTALLED', max: 30 },
            { key: 'fixedVersion', label: 'FIXED', max: 30 },
            { key: 'status', label: 'STATUS' },
          ]),
        );
      }),
    );
}
