import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingCommands } from '../../src/cli/findings.js';
import type { Runner } from '../../src/cli/program.js';
import { validationCommands } from '../../src/cli/validation.js';
import { cyclonedxVexSchema, openvexSchema } from '../../src/domain/vex/schema.js';
import { bearer, call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { nessusXml } from '../support/reports.js';

/** `patchloop findings validate|unvalidate|vex-export` against a real app, through the ApiClient the CLI uses (VUL-6). */
let t: TestApp;
let token: string;
const f: Record<string, string> = {};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-validation-cli-'));

beforeAll(async () => {
  t = await testApp();
  ({ token } = await userWithToken(t.database, 'security_analyst', 'cli-validator'));
  const report = nessusXml([
    {
      name: '10.2.0.5', ip: '10.2.0.5', fqdn: 'cli-box.example.com',
      items: [
        { pluginId: 300001, severity: 2, cves: ['CVE-2026-5001'], port: 443 },
        { pluginId: 300002, severity: 2, cves: ['CVE-2026-5002'], port: 443 },
        { pluginId: 300003, severity: 3, cves: ['CVE-2026-5003'], port: 80 },
      ],
    },
  ]);
  const r = await t.app.inject({ method: 'POST', url: '/api/imports', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, payload: report });
  expect(r.statusCode, r.body).toBe(200);
  for (const x of (await call(t.app, token, 'GET', '/api/findings?limit=100')).json().items) f[x.vulnerabilityId] = x.id;
  expect(Object.keys(f).sort()).toEqual(['CVE-2026-5001', 'CVE-2026-5002', 'CVE-2026-5003']);
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function program(withFindings: boolean, run: Runner, output?: { writeOut(s: string): void; writeErr(s: string): void }): Command {
  // Subcommands copy these settings when they are created: set them first.
  const p = new Command('patchloop').exitOverride();
  if (output) p.configureOutput(output);
  if (withFindings) findingCommands(p, run);
  validationCommands(p, run);
  return p;
}

async function cli(...args: string[]) {
  return runCli(t.app, token, (p, run) => {
    findingCommands(p, run);
    validationCommands(p, run);
  }, ['findings', ...args]);
}

const status = async (id: string) => (await call(t.app, token, 'GET', `/api/findings/${id}`)).json().status;

describe('patchloop findings validate / unvalidate / vex-export', () => {
  it('attaches to the findings group findings.ts registers, or creates it', () => {
    const noop: Runner = async () => {};
    const shared = program(true, noop);
    expect(shared.commands.filter((c) => c.name() === 'findings')).toHaveLength(1);
    const sub = shared.commands.find((c) => c.name() === 'findings')?.commands.map((c) => c.name());
    expect(sub).toEqual(['list', 'show', 'validate', 'unvalidate', 'vex-export']);
    const alone = program(false, noop);
    expect(alone.commands.find((c) => c.name() === 'findings')?.commands.map((c) => c.name())).toEqual(['validate', 'unvalidate', 'vex-export']);
  });

  it('marks several findings at once', async () => {
    const r = await cli('validate', f['CVE-2026-5001'] as string, f['CVE-2026-5002'] as string, '--status', 'false_positive', '--reason', 'port 443 is a TLS proxy the check misreads');
    expect(r.error).toBeUndefined();
    expect(r.out).toBe('2 finding(s) marked false positive');
    expect(await status(f['CVE-2026-5001'] as string)).toBe('false_positive');
    expect(await status(f['CVE-2026-5002'] as string)).toBe('false_positive');
  });

  it('refuses bad input before calling the server, and shows the server\'s refusal', async () => {
    const id = f['CVE-2026-5003'] as string;
    const noJust = await cli('validate', id, '--status', 'not_affected', '--reason', 'x');
    expect(noJust.error?.message).toMatch(/--justification is required with --status not_affected/);
    const badJust = await cli('validate', id, '--status', 'not_affected', '--justification', 'trust_me', '--reason', 'x');
    expect(badJust.err).toMatch(/trust_me.*is invalid. Allowed choices are component_not_present/s);
    const badStatus = await cli('validate', id, '--status', 'wontfix', '--reason', 'x');
    expect(badStatus.err).toMatch(/Allowed choices are false_positive, not_affected/);
    const noReason = await cli('validate', id, '--status', 'false_positive');
    expect(noReason.err).toMatch(/required option '--reason <text>' not specified/);
    const badId = await cli('validate', 'abc', '--status', 'false_positive', '--reason', 'x');
    expect(badId.error?.message).toMatch(/"abc" is not a finding id/);
    expect(await status(id)).toBe('open');
    // All or nothing on the server: one of them is already marked.
    const mixed = await cli('validate', id, f['CVE-2026-5001'] as string, '--status', 'false_positive', '--reason', 'x');
    expect(mixed.error?.message).toMatch(/Only open findings can be marked.*not open/s);
    expect(mixed.error?.message).toContain(`body.findingIds[1]: finding ${f['CVE-2026-5001']} is false positive, not open`);
    expect(await status(id)).toBe('open');
  });

  it('marks not affected with a justification, then exports CycloneDX and OpenVEX to files', async () => {
    const id = f['CVE-2026-5003'] as string;
    const r = await cli('validate', id, '--status', 'not_affected', '--justification', 'vulnerable_code_not_in_execute_path', '--reason', 'the module is not loaded', '--json');
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.out)).toEqual({ validated: 1, status: 'not_affected', findingIds: [id] });

    const cdxFile = path.join(dir, 'vex.cdx.json');
    const cdx = await cli('vex-export', '-o', cdxFile);
    expect(cdx.error).toBeUndefined();
    expect(cdx.out).toBe(`CycloneDX VEX written to ${cdxFile}: 3 statement(s)`);
    const doc = cyclonedxVexSchema.parse(JSON.parse(fs.readFileSync(cdxFile, 'utf8')));
    expect(doc.vulnerabilities.map((v) => [v.id, v.analysis.state, v.analysis.justification ?? null]).sort()).toEqual([
      ['CVE-2026-5001', 'false_positive', null],
      ['CVE-2026-5002', 'false_positive', null],
      ['CVE-2026-5003', 'not_affected', 'code_not_reachable'],
    ].sort());

    const ovFile = path.join(dir, 'vex.openvex.json');
    const ov = await cli('vex-export', '--format', 'openvex', '--vulnerability', 'CVE-2026-5003', '-o', ovFile);
    expect(ov.error).toBeUndefined();
    expect(ov.out).toBe(`OpenVEX VEX written to ${ovFile}: 1 statement(s)`);
    const openvex = openvexSchema.parse(JSON.parse(fs.readFileSync(ovFile, 'utf8')));
    expect(openvex.statements).toMatchObject([{ vulnerability: { name: 'CVE-2026-5003' }, status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'the module is not loaded' }]);
    const toStdout = await cli('vex-export', '--format', 'openvex', '--vulnerability', 'CVE-2026-5003');
    expect(toStdout.error).toBeUndefined();
    expect(openvexSchema.parse(JSON.parse(toStdout.out)).statements).toHaveLength(1);
    const bad = await cli('vex-export', '--format', 'spdx');
    expect(bad.err).toMatch(/Allowed choices are cyclonedx, openvex/);
  });

  it('unvalidate opens the finding again; a finding that is not marked is refused', async () => {
    const id = f['CVE-2026-5001'] as string;
    const r = await cli('unvalidate', id, '--reason', 'the proxy was removed');
    expect(r.error).toBeUndefined();
    expect(r.out).toBe(`finding ${id} is open again`);
    expect(await status(id)).toBe('open');
    const again = await cli('unvalidate', id, '--reason', 'again');
    expect(again.error?.message).toMatch(new RegExp(`Finding ${id} is open: it is not marked`));
    const missing = await cli('unvalidate', '987654321', '--reason', 'x');
    expect(missing.error?.message).toBe('Finding was not found');
  });

  it('list --sla-summary prints the overdue figures the API gives, with the filters and without --status', async () => {
    const api = (await call(t.app, token, 'GET', '/api/findings/sla-summary?kev=false')).json();
    const json = JSON.parse((await cli('list', '--sla-summary', '--kev', 'false', '--json')).out);
    expect({ ...json, asOf: null }).toEqual({ ...api, asOf: null });
    expect(json.totals.total).toBeGreaterThan(0);
    const text = await cli('list', '--sla-summary', '--status', 'all');
    expect(text.error).toBeUndefined();
    expect(text.out).toMatch(/PRIORITY\s+OPEN\s+OVERDUE\s+DUE SOON\s+ON TRACK\s+EXCEPTED\s+NO DEADLINE\s+EMERGENCIES/);
    const open = (await call(t.app, token, 'GET', '/api/findings?status=open&limit=100')).json().items.length;
    expect(text.out).toMatch(new RegExp(`\\nall\\s+${open}\\s`));
    expect(text.out).toMatch(/policy version 1; due soon from \d+ % of the SLA window/);
  });
});
