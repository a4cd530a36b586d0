/**
 * The Nessus parser on the real reports in ../shared/fixtures/scanners/tenable
 * (DefectDojo's unit-test files, BSD licence): counts and fields checked
 * against the files themselves, counted here with plain text matching.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type NessusHost, type NessusItem, parseNessus } from '../../src/domain/scanners/nessus.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/tenable/nessus');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(nessus|xml)$/.test(f)) : [];

describe.skipIf(files.length === 0)(`Nessus fixtures (${dir}${files.length ? '' : ' is absent: skipped'})`, () => {
  it.each(files)('%s: every host and finding, with its CVEs, severity and plugin', async (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const got: { host: NessusHost; items: NessusItem[] }[] = [];
    const summary = await parseNessus(fs.createReadStream(path.join(dir, file), { highWaterMark: 4096 }), (host, items) => {
      got.push({ host, items });
    });
    const hostNames = [...text.matchAll(/<ReportHost name="([^"]+)"/g)].map((m) => m[1]);
    const blocks = text.split('<ReportItem ').slice(1).map((b) => b.slice(0, b.indexOf('</ReportItem>') >= 0 ? b.indexOf('</ReportItem>') : b.indexOf('/>')));
    expect(summary.hosts).toBe(hostNames.length);
    expect(got.map((g) => g.host.name)).toEqual(hostNames);
    expect(summary.items).toBe(blocks.length);
    const items = got.flatMap((g) => g.items);
    expect(items.map((i) => i.pluginId)).toEqual(blocks.map((b) => Number(/pluginID="(\d+)"/.exec(b)?.[1])));
    expect(items.map((i) => i.severity)).toEqual(blocks.map((b) => Number(/severity="(\d)"/.exec(b)?.[1])));
    expect(items.map((i) => i.cves)).toEqual(blocks.map((b) => [...new Set([...b.matchAll(/<cve>([^<]+)<\/cve>/g)].map((m) => m[1]))]));
    expect(items.map((i) => i.cvss3BaseScore)).toEqual(blocks.map((b) => { const m = /<cvss3_base_score>([^<]+)</.exec(b); return m ? Number(m[1]) : null; }));
    const ips = [...text.matchAll(/<tag name="host-ip">([^<]+)<\/tag>/g)].map((m) => m[1]);
    expect(got.map((g) => g.host.ip).filter(Boolean)).toEqual(ips);
  });
});
