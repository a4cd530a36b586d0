import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { sql } from 'kysely';
import { migrate, openPostgres } from '../src/storage/db.js';
import { nessusHostXml } from '../test/support/reports.js';
import { rng } from './support/dataset.js';
import { createDatabase, dropDatabase, machine } from './support/machine.js';

/**
 * Scanner imports at size (issue #5): a Nessus report of 100,000 findings
 * over 2,000 hosts and a Trivy report of 50,000, imported on PostgreSQL by
 * `patchloop import` (compiled, as installed) in a process of its own
 * against the database (its peak RSS is the figure),
 * then imported again (nothing new, no duplicates); and a 500 MB Nessus
 * report to show that memory stays flat. DefectDojo's reported figures for
 * comparison: a 15,000-line Nessus file took over 20 minutes (PR #5553), 700
 * findings 40 s (issue #4641).
 */
export interface ScanImportBenchOptions {
  databaseUrl: string;
  keep: boolean;
  nessusHosts: number;
  nessusFindings: number;
  trivyFindings: number;
  bigMiB: number;
  targets: { seconds: number; rssMiB: number };
}

const log = (s: string) => process.stdout.write(`${s}\n`);
const n0 = (n: number) => n.toLocaleString('en-GB');

async function write(file: string, parts: Iterable<string>): Promise<number> {
  const out = fs.createWriteStream(file);
  for (const p of parts) if (!out.write(p)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return fs.statSync(file).size;
}

/** hosts × per-host findings; each host's findings are distinct (plugin, CVE) pairs. Returns the expected count. */
function* nessusParts(hosts: number, findings: number, outputBytes: number, counter: { findings: number; skipped: number }) {
  const r = rng(49).next;
  const perHost = Math.floor(findings / hosts);
  const pad = 'x'.repeat(Math.max(0, outputBytes - 120));
  yield '<?xml version="1.0" ?>\n<NessusClientData_v2><Report name="bench">\n';
  for (let h = 0; h < hosts; h++) {
    const items = [];
    const used = new Set<number>();
    // One informational item per host, skipped by the importer.
    items.push({ pluginId: 19506, severity: 0 as const, name: 'Nessus Scan Information' });
    counter.skipped++;
    while (used.size < perHost) {
      const cve = 1 + Math.floor(r() * 20_000);
      if (used.has(cve)) continue;
      used.add(cve);
      items.push({
        pluginId: 100_000 + (cve % 3_000),
        severity: (1 + Math.floor(r() * 4)) as 1 | 2 | 3 | 4,
        cves: [`CVE-2025-${String(cve).padStart(5, '0')}`],
        port: [0, 22, 80, 443][cve % 4],
        output: `\n  Remote package installed : pkg${cve % 500}_1.${cve % 7}-1\n  Should be                : pkg${cve % 500}_1.${cve % 7}-2\n${pad}`,
      });
      counter.findings++;
    }
    yield nessusHostXml({ name: `10.${(h >> 8) & 255}.${h & 255}.10`, ip: `10.${(h >> 8) & 255}.${h & 255}.10`, fqdn: `host-${h}.bench.example`, os: 'Debian Linux 12', items });
  }
  yield '</Report></NessusClientData_v2>\n';
}

function* trivyParts(findings: number) {
  const r = rng(50).next;
  yield `{"SchemaVersion":2,"CreatedAt":"2026-12-04T10:00:00Z","ArtifactName":"registry.example/bench/app:1.0","ArtifactType":"container_image","Metadata":{"OS":{"Family":"debian","Name":"12.8"},"ImageID":"sha256:${'a'.repeat(64)}","RepoDigests":["registry.example/bench/app@sha256:${'b'.repeat(64)}"]},"Results":[`;
  const classes = [
    { target: 'registry.example/bench/app:1.0 (debian 12.8)', cls: 'os-pkgs', type: 'debian', share: 0.6 },
    { target: 'app/package-lock.json', cls: 'lang-pkgs', type: 'npm', share: 0.2 },
    { target: 'app/requirements.txt', cls: 'lang-pkgs', type: 'pip', share: 0.1 },
    { target: 'app/lib/app.jar', cls: 'lang-pkgs', type: 'jar', share: 0.1 },
  ];
  let made = 0;
  for (const [ci, c] of classes.entries()) {
    const n = ci === classes.length - 1 ? findings - made : Math.round(findings * c.share);
    yield `${ci ? ',' : ''}{"Target":${JSON.stringify(c.target)},"Class":"${c.cls}","Type":"${c.type}","Vulnerabilities":[`;
    for (let i = 0; i < n; i++) {
      // Distinct (vulnerability, package) pairs: package i % 1000, vulnerability i.
      const sev = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'][Math.floor(r() * 4)];
      yield `${i ? ',' : ''}{"VulnerabilityID":"CVE-2024-${String(ci * 100_000 + i).padStart(6, '0')}","PkgName":"${c.type}-lib${i % 1000}","InstalledVersion":"1.${i % 9}.0","FixedVersion":"1.${i % 9}.1","Severity":"${sev}","Title":"bench vulnerability ${i}","CVSS":{"nvd":{"V3Score":${(1 + r() * 9).toFixed(1)},"V3Vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}`;
    }
    yield ']}';
    made += n;
  }
  yield ']}\n';
}

function importOnce(url: string, file: string): { seconds: number; rssMiB: number; summary: any } {
  const timeFile = path.join(os.tmpdir(), `patchloop-bench-time-${process.pid}.txt`);
  const out = execFileSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, process.execPath, 'dist/main/cli.js', 'import', file, '--json'], {
    env: { ...process.env, DATABASE_URL: url, PATCHLOOP_LOG_LEVEL: 'warn' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const [secs, kb] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { seconds: secs as number, rssMiB: (kb as number) / 1024, summary: JSON.parse(out.toString('utf8')) };
}

export async function runScanImport(opts: ScanImportBenchOptions): Promise<{ ok: boolean }> {
  const mach = machine();
  log(`machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memory}, ${mach.os}, Node ${mach.node}, load average ${mach.load}`);
  // The CLI as installed (compiled JavaScript, not tsx compiling TypeScript on the fly, which costs ~100 MB).
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-bench-scans-'));
  const { url, name } = await createDatabase(opts.databaseUrl, 'scans');
  const database = openPostgres(url);
  let ok = true;
  const check = (what: string, pass: boolean) => {
    if (!pass) ok = false;
    log(`  ${pass ? 'ok  ' : 'MISS'} ${what}`);
  };
  try {
    await migrate(database.db);
    // 90 % of the scanned hosts are registered (by FQDN, or by address only); the rest are discovered.
    const registered = Math.floor(opts.nessusHosts * 0.9);
    await sql`insert into assets (hostname, fqdn, ip_addresses, environment, system_type, business_criticality, network_exposure, updated_at)
      select 'host-' || h, case when h % 2 = 0 then 'host-' || h || '.bench.example' end, array['10.' || ((h >> 8) & 255) || '.' || (h & 255) || '.10'],
        'production', 'web_server', 'medium', 'internal', now()
      from generate_series(0, ${registered - 1}) as h`.execute(database.db);
    log(`assets: ${n0(registered)} of ${n0(opts.nessusHosts)} scanned hosts registered (half with an FQDN, half by address and host name)`);

    const nessus = path.join(dir, 'bench.nessus');
    const expected = { findings: 0, skipped: 0 };
    const size = await write(nessus, nessusParts(opts.nessusHosts, opts.nessusFindings, 300, expected));
    log(`nessus: ${n0(expected.findings)} findings (+${n0(expected.skipped)} informational) over ${n0(opts.nessusHosts)} hosts, ${(size / 2 ** 20).toFixed(0)} MiB`);
    const first = importOnce(url, nessus);
    log(`  first import:  ${first.seconds.toFixed(1)} s, peak RSS ${first.rssMiB.toFixed(0)} MiB; ${n0(first.summary.findings.new)} new, ${n0(first.summary.assets.matched)} assets matched, ${n0(first.summary.assets.created)} created`);
    check(`all ${n0(expected.findings)} findings imported`, first.summary.findings.new === expected.findings);
    check(`under ${opts.targets.seconds} s`, first.seconds < opts.targets.seconds);
    check(`under ${opts.targets.rssMiB} MiB`, first.rssMiB < opts.targets.rssMiB);
    const again = importOnce(url, nessus);
    const dup = await sql<{ n: number; d: number }>`select count(*)::int as n, count(distinct (asset_id, vulnerability_num, name_id))::int as d from findings`.execute(database.db);
    log(`  re-import:     ${again.seconds.toFixed(1)} s, peak RSS ${again.rssMiB.toFixed(0)} MiB; ${n0(again.summary.findings.new)} new, ${n0(again.summary.findings.seenAgain)} seen again; findings stored ${n0(dup.rows[0]?.n ?? 0)}`);
    check('re-import: nothing new, no duplicates', again.summary.findings.new === 0 && dup.rows[0]?.n === expected.findings && dup.rows[0]?.d === dup.rows[0]?.n);
    check(`re-import under ${opts.targets.seconds} s`, again.seconds < opts.targets.seconds);

    const trivy = path.join(dir, 'bench-trivy.json');
    const tsize = await write(trivy, trivyParts(opts.trivyFindings));
    log(`trivy: ${n0(opts.trivyFindings)} findings in one image, ${(tsize / 2 ** 20).toFixed(0)} MiB`);
    const t1 = importOnce(url, trivy);
    log(`  first import:  ${t1.seconds.toFixed(1)} s, peak RSS ${t1.rssMiB.toFixed(0)} MiB; ${n0(t1.summary.findings.new)} new`);
    check(`all ${n0(opts.trivyFindings)} findings imported`, t1.summary.findings.new === opts.trivyFindings);
    check(`under ${opts.targets.seconds} s and ${opts.targets.rssMiB} MiB`, t1.seconds < opts.targets.seconds && t1.rssMiB < opts.targets.rssMiB);
    const t2 = importOnce(url, trivy);
    log(`  re-import:     ${t2.seconds.toFixed(1)} s, peak RSS ${t2.rssMiB.toFixed(0)} MiB; ${n0(t2.summary.findings.new)} new`);
    check('re-import: nothing new', t2.summary.findings.new === 0 && t2.seconds < opts.targets.seconds);

    if (opts.bigMiB > 0) {
      // The same shape with long plugin outputs, to reach the size: memory must not follow the file.
      const big = path.join(dir, 'big.nessus');
      const hosts = 2_000;
      const findings = 100_000;
      // Each finding costs ~250 bytes of XML besides its output (tags, attributes, the package lines).
      const outBytes = Math.floor((opts.bigMiB * 2 ** 20) / findings) - 130;
      const bigCount = { findings: 0, skipped: 0 };
      const bsize = await write(big, nessusParts(hosts, findings, outBytes, bigCount));
      log(`big nessus: ${(bsize / 2 ** 20).toFixed(0)} MiB, ${n0(bigCount.findings)} findings with ${n0(outBytes)}-byte plugin outputs`);
      const b = importOnce(url, big);
      log(`  import:        ${b.seconds.toFixed(1)} s, peak RSS ${b.rssMiB.toFixed(0)} MiB`);
      check(`${(bsize / 2 ** 20).toFixed(0)} MiB report under ${opts.targets.rssMiB} MiB of memory`, b.rssMiB < opts.targets.rssMiB);
      fs.rmSync(big, { force: true });
    }
    log('DefectDojo, as reported: a 15,000-line Nessus file took over 20 minutes (PR #5553); 700 findings took 40 s (issue #4641).');
  } finally {
    await database.close();
    if (!opts.keep) await dropDatabase(opts.databaseUrl, name);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { ok };
}
