import type { Command } from 'commander';
import { scanDpkgStatus } from '../services/scan/offline.js';
import { printJson, table } from './output.js';

/** `patchloop scan`: one host's findings from local files, no server or database. */
export function scanCommands(program: Command, fail: (err: unknown) => never) {
  program
    .command('scan')
    .description('Find vulnerable packages on one host from its dpkg status file and a local feed copy (no server needed)')
    .requiredOption('--dpkg-status <file>', 'the host\'s /var/lib/dpkg/status (or a copy)')
    .requiredOption('--from <file|dir>', 'feed to match against: a Debian security tracker JSON export, a file of OSV records, or a directory of OSV JSON files (an extracted osv.dev all.zip)')
    .option('--release <codename>', 'Debian release of the host (default: the feed\'s only release, or this machine\'s)')
    .option('--format <format>', 'table or json', 'table')
    .action((opts) => {
      try {
        if (opts.format !== 'table' && opts.format !== 'json') throw new Error(`--format must be table or json, not ${opts.format}`);
        const r = scanDpkgStatus({ dpkgStatusFile: opts.dpkgStatus, feed: opts.from, release: opts.release });
        for (const s of r.skipped) console.error(`warning: skipped ${s.package}: ${s.reason}`);
        if (opts.format === 'json') {
          printJson(r.findings);
          return;
        }
        console.log(
          table(r.findings as unknown as Record<string, unknown>[], [
            { key: 'vulnerability', label: 'VULNERABILITY' },
            { key: 'package', label: 'PACKAGE', max: 32 },
            { key: 'installedVersion', label: 'INSTALLED', max: 32 },
            { key: 'fixedVersion', label: 'FIXED', max: 32 },
            { key: 'urgency', label: 'URGENCY' },
          ]),
        );
        const cves = new Set(r.findings.map((f) => f.vulnerability)).size;
        console.log(`${r.findings.length} finding(s): ${cves} vulnerabilit${cves === 1 ? 'y' : 'ies'} in ${new Set(r.findings.map((f) => f.package)).size} of ${r.packages} installed package(s) (${r.release})`);
      } catch (err) {
        fail(err);
      }
    });
}
