import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCompare } from '../../src/cli/versions.js';

describe('patchloop version compare (runCompare)', () => {
  it.each([
    ['deb', '1.0~rc1', '1.0', '<'],
    ['debian', '1:1.0', '2.0', '>'],
    ['ubuntu', '1.0', '1.0-0', '='],
    ['rocky', '1.0^git1', '1.0', '>'],
    ['alpine', '1.2_rc1', '1.2', '<'],
    ['npm', 'v1.0.0+build', '1.0.0', '='],
    ['pep440', '1.0.0', '1.0', '='],
    ['maven', '1-SNAPSHOT', '1', '<'],
    ['go', 'v0.0.0-20191109021931-daa7c04131f5', 'v0.0.1', '<'],
  ])('%s: %s vs %s prints %s', (ecosystem, a, b, want) => {
    expect(runCompare({ ecosystem, a, b })).toEqual({ stdout: `${want}\n`, stderr: '', exitCode: 0 });
  });

  it('exits 2 naming the problem for an unknown ecosystem, a malformed version or bad usage', () => {
    const eco = runCompare({ ecosystem: 'cobol', a: '1', b: '2' });
    expect(eco).toMatchObject({ stdout: '', exitCode: 2 });
    expect(eco.stderr).toContain('unknown ecosystem "cobol"');
    const bad = runCompare({ ecosystem: 'deb', a: '1.0', b: '1.0_1' });
    expect(bad).toMatchObject({ stdout: '', exitCode: 2 });
    expect(bad.stderr).toContain('invalid deb version "1.0_1": invalid character "_" in version number');
    expect(runCompare({ a: '1', b: '2' })).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('--ecosystem is required') });
    expect(runCompare({ ecosystem: 'deb', a: '1' })).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('give two versions') });
    expect(runCompare({ ecosystem: 'deb', a: '1', b: '2', stdin: true }, '1\t2\n')).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('not both') });
  });

  it('--stdin answers one line per pair', () => {
    expect(runCompare({ ecosystem: 'rpm', stdin: true }, '1.0\t1.1\n2.0-1\t2.0-1\r\n1:0.1\t9.9\n')).toEqual({ stdout: '<\n=\n>\n', stderr: '', exitCode: 0 });
    expect(runCompare({ ecosystem: 'rpm', stdin: true }, '')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('--stdin answers the good lines, prints ? for each bad one and reports it by line number, exit 1', () => {
    const r = runCompare({ ecosystem: 'pypi', stdin: true }, '1.0\t2.0\nnot a version\t1.0\n1.0 1.0\n2.0\t1.0\n');
    expect(r.stdout).toBe('<\n?\n?\n>\n');
    expect(r.stderr).toBe(
      'error: line 2: invalid pypi version "not a version": must start with a release number such as "1.0" (optionally "N!" for an epoch)\n' +
        'error: line 3: expected two versions separated by one tab, found 1 field\n',
    );
    expect(r.exitCode).toBe(1);
  });

  it('runs as a process: arguments, stdin, stdout and exit codes', () => {
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'test/versions/cli-entry.ts', 'version', 'compare', ...args], { input, encoding: 'utf8', timeout: 30_000 });
    const one = run(['--ecosystem', 'deb', '2:1.0', '1:9.9']);
    expect([one.stdout, one.status]).toEqual(['>\n', 0]);
    const many = run(['-e', 'apk', '--stdin'], '1.0\t1.0-r1\n1.0_p1\t1.0\nx\t1\n');
    expect([many.stdout, many.status]).toEqual(['<\n>\n?\n', 1]);
    expect(many.stderr).toContain('line 3: invalid apk version "x"');
    const bad = run(['--ecosystem', 'nope', '1', '2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown ecosystem "nope"');
  });
});
