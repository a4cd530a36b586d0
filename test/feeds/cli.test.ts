import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedCommands, findFeedFile, guessFeed } from '../../src/cli/feeds.js';
import { type TestApp, userWithToken } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { feedsApp } from './app.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const haveFixtures = fs.existsSync(path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json')) && fs.existsSync(path.join(FIXTURES, 'debian-bookworm/tracker.json'));

let t: TestApp;
let token: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-feeds-cli-'));

beforeAll(async () => {
  t = await feedsApp();
  ({ token } = await userWithToken(t.database, 'admin', 'cli-admin'));
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `patchloop feeds …` against the test app through the same ApiClient interface the CLI uses. */
async function cli(...args: string[]) {
  return runCli(t.app, token, feedCommands, ['feeds', ...args]);
}

describe('patchloop feeds', () => {
  it('knows feed files by name', () => {
    expect(guessFeed('/x/known_exploited_vulnerabilities.json')).toBe('kev');
    expect(guessFeed('epss_scores-2025-09-03.csv.gz')).toBe('epss');
    expect(guessFeed('tracker.json')).toBe('debian');
    expect(guessFeed('notes.txt')).toBeNull();
  });

  it('imports an EPSS .csv.gz given with --from FILE and lists the feed', async () => {
    const file = path.join(dir, 'epss_scores-2025-09-03.csv.gz');
    fs.writeFileSync(file, zlib.gzipSync('#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z\ncve,epss,percentile\nCVE-2021-44228,0.97,0.9999\nCVE-2014-0160,0.94,0.999\n'));
    const r = await cli('sync', '--from', file);
    expect(r.error).toBeUndefined();
    expect(r.out).toContain('epss 2025-09-03 (model v2025.03.14): 2 records');
    expect(r.out).toContain('2 added, 0 changed, 0 removed, 0 unchanged; 2 vulnerabilities and 0 package(s) changed');
    const again = await cli('sync', 'epss', '--from', file, '--json');
    expect(JSON.parse(again.out)[0]).toMatchObject({ feed: 'epss', added: 0, unchanged: 2 });
    const list = await cli('list');
    expect(list.out).toMatch(/epss\s+2025-09-03 \(model v2025\.03\.14\)\s+2\s+0/);
  });

  it('names the problem of a bad file and of a bad feed name', async () => {
    const file = path.join(dir, 'kev.json');
    fs.writeFileSync(file, '{"catalogVersion": "1", "dateReleased": "2025-01-01", "vulnerabilities": [{"cveID": "nope"}]}');
    expect((await cli('sync', '--from', file)).error?.message).toContain('vulnerabilities[0].cveID');
    expect((await cli('sync', 'nope')).error?.message).toContain('unknown feed "nope"');
    expect((await cli('sync', '--from', 'http://127.0.0.1:1/x')).error?.message).toContain('name the feed');
  });

  it.skipIf(!haveFixtures)(`imports every feed file found under --from DIR${haveFixtures ? '' : ' — skipped: ../shared/fixtures is absent'}`, async () => {
    expect(findFeedFile(FIXTURES, 'kev')).toBe(path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json'));
    const r = await cli('sync', '--from', FIXTURES);
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/^debian sha256:[0-9a-f]{16}: 17493 records/m);
    expect(r.out).toMatch(/^kev 2025\.08\.25: 1404 records/m);
  }, 60_000);
});
