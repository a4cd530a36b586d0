import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { install, UNIT_NAME, unitFile } from '../../src/agent/install.js';
import { jittered } from '../../src/agent/runner.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-agent-install-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('patchloop agent install', () => {
  it('refuses to install before enrolment', () => {
    expect(() => install({ stateDir: path.join(dir, 'none'), unitDir: dir, enable: false })).toThrow(/enrol/);
  });

  it('writes a unit that runs the agent as a transient unprivileged user with its own state directory', () => {
    const state = path.join(dir, 'state');
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(state, 'agent.json'), '{}');
    const r = install({ stateDir: state, unitDir: path.join(dir, 'units'), enable: false });
    expect(r.unit).toBe(path.join(dir, 'units', UNIT_NAME));
    const unit = fs.readFileSync(r.unit, 'utf8');
    expect(unit).toMatch(/^ExecStart=\S+ \S+patchloop\.js agent run --state-dir \S+$/m);
    expect(unit).toContain('DynamicUser=yes');
    expect(unit).toContain('ProtectSystem=strict');
    expect(unit).toContain(`ReadWritePaths=${state}`);
    expect(unitFile({ stateDir: '/var/lib/patchloop-agent' })).toContain('StateDirectory=patchloop-agent');
    expect(unitFile({ stateDir: '/var/lib/patchloop-agent', user: 'patchloop' })).toMatch(/^User=patchloop$/m);
  });

  it("is a unit systemd's own checker accepts", () => {
    const v = spawnSync('systemd-analyze', ['--version']);
    if (v.status !== 0) return; // systemd-analyze is part of systemd; containers without it cannot check
    const f = path.join(dir, UNIT_NAME);
    fs.writeFileSync(f, unitFile({ stateDir: '/var/lib/patchloop-agent' }));
    const r = spawnSync('systemd-analyze', ['verify', f], { encoding: 'utf8' });
    const ours = r.stderr.split('\n').filter((l) => l.includes(UNIT_NAME) && !/Failed to load|Unit .* not found|multi-user\.target/.test(l));
    expect(ours, r.stderr).toEqual([]);
  });
});

describe('check-in interval', () => {
  it('spreads check-ins over ±10 % of the interval', () => {
    expect(jittered(3600, () => 0)).toBe(3_240_000);
    expect(jittered(3600, () => 1)).toBe(3_960_000);
    expect(jittered(3600, () => 0.5)).toBe(3_600_000);
  });
});
