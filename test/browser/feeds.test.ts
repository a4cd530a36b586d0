/**
 * The Feeds page in a real browser: every feed the server takes is listed
 * (never-imported ones too, hostile strings as text); an administrator
 * imports the real CISA KEV catalogue through the file form, is refused a
 * malformed file (the stored feed unchanged) and sees a 413 clearly, syncs
 * EPSS from a mirror served by a local HTTP server (a download error, a
 * refused URL, the pending state, the result, then "not modified"); an
 * auditor sees the table but no controls. Screenshots go to
 * test-results/screenshots/.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const KEV_FILE = path.resolve(process.cwd(), '../shared/fixtures/kev/known_exploited_vulnerabilities.json');
const HAVE_KEV = fs.existsSync(KEV_FILE);
const KEV_SKIP = `skipped: ${KEV_FILE} is absent (../shared/fixtures holds the real KEV catalogue)`;

const ADMIN = { username: 'alice.admin', password: 'correct horse battery staple' };
const AUDITOR = { username: 'olga.auditor', password: 'another long password' };
const HOSTILE_SOURCE = '<img src=x onerror=alert(1)>https://evil.example/"><script>alert(2)</script>';
const HOSTILE_VERSION = "<b>bold</b>'; DROP TABLE feed_state; --";

const EPSS_ROWS = ['CVE-2024-0001,0.97123,0.99912', 'CVE-2024-0002,0.00042,0.05123', 'CVE-2023-4863,0.93611,0.99802', 'CVE-2021-44228,0.94358,0.99957', 'CVE-2014-0160,0.94474,0.99967'];
const EPSS_CSV = `#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z\ncve,epss,percentile\n${EPSS_ROWS.join('\n')}\n`;
const EPSS_ETAG = '"epss-2025-09-03"';

interface FeedState {
  feed: string;
  source: string;
  version: string | null;
  fetchedAt: string;
  records: number;
  changed: number;
}

/** A small EPSS mirror: /epss.csv.gz (with an ETag, 304 on a match) and a 404 elsewhere; it records what it was asked. */
function startMirror() {
  const gz = zlib.gzipSync(EPSS_CSV);
  const requests: { url: string; ifNoneMatch: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', ifNoneMatch: req.headers['if-none-match'] });
    if (req.url !== '/epss.csv.gz') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      return;
    }
    if (req.headers['if-none-match'] === EPSS_ETAG) {
      res.writeHead(304, { etag: EPSS_ETAG }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(gz.length), etag: EPSS_ETAG }).end(gz);
  });
  return new Promise<{ url: string; requests: typeof requests; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'Feeds page in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let mirror: Awaited<ReturnType<typeof startMirror>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  const url = (p: string) => `${server.url}${p}`;
  const watch = (p: Page, who: string) => {
    p.setDefaultTimeout(15_000);
    p.on('dialog', (d) => {
      dialogs.push(`${who} ${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    p.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
    // Refused requests (the malformed file, the 413, the bad mirror) are logged as "Failed to load resource"; anything else is a defect.
    p.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(`${who}: ${m.text()}`);
    });
  };
  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(url('/'));
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const openFeeds = async (p: Page) => {
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feeds', exact: true }).click();
    await p.getByRole('heading', { name: 'Feeds', level: 1 }).waitFor();
    await p.locator('table.feeds').waitFor();
  };
  const row = (p: Page, feed: string) => p.locator(`table.feeds tbody tr[data-feed="${feed}"]`);
  /** The cells after the feed name: source, version, last fetched, records, last change. */
  const cells = (p: Page, feed: string) => row(p, feed).locator('td').allTextContents();
  const card = (name: RegExp) => page.getByRole('region', { name });
  const feedStates = async (): Promise<FeedState[]> => {
    const res = await page.request.get(url('/api/feeds'));
    expect(res.status()).toBe(200);
    return (await res.json()) as FeedState[];
  };
  const stateOf = async (feed: string) => (await feedStates()).find((f) => f.feed === feed);

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    mirror = await startMirror();
    const db = server.database.db;
    await createUser(db, operator, { username: ADMIN.username, role: 'admin', password: ADMIN.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    // A feed state with hostile text, as a compromised mirror or a hand-edited database could leave it.
    await db.insertInto('feed_state').values({ feed: 'debian', source: HOSTILE_SOURCE, version: HOSTILE_VERSION, fetched_at: new Date(Date.now() - 3 * 3600_000), etag: null, last_modified: null, records: 17_493, changed: 42 }).execute();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    watch(page, 'admin');
    await signIn(page, ADMIN);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await mirror?.close();
    await server?.stop();
  });

  it('lists every feed the server takes, never-imported ones included, and shows hostile strings as text', async () => {
    await openFeeds(page);
    const feeds = await page.locator('table.feeds tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feed')));
    expect(feeds.slice(0, 3)).toEqual(['debian', 'kev', 'epss']); // whatever else the server adds comes after
    const headers = await page.locator('table.feeds thead th').allTextContents();
    expect(headers).toEqual(['Feed', 'Source', 'Version', 'Last fetched', 'Records', 'Last change']);

    // Explanations of each feed.
    expect(await row(page, 'debian').locator('th').textContent()).toContain('Debian security tracker');
    expect(await row(page, 'kev').locator('th').textContent()).toContain('Known Exploited Vulnerabilities');
    expect(await row(page, 'epss').locator('th').textContent()).toContain('Exploit Prediction Scoring System');

    // Never imported: said so, with no made-up figures.
    for (const feed of ['kev', 'epss']) {
      const text = await row(page, feed).textContent();
      expect(text).toContain('Never imported');
      expect(text).toContain('sync it or import a file below');
    }

    // The seeded Debian state: hostile source and version as literal text, relative time with the absolute one on hover.
    const debian = await cells(page, 'debian');
    expect(debian[0]).toBe(HOSTILE_SOURCE);
    expect(debian[1]).toBe(HOSTILE_VERSION);
    expect(debian[2]).toMatch(/^3 hours ago/);
    const time = row(page, 'debian').locator('time');
    expect(Date.parse((await time.getAttribute('datetime')) ?? '')).toBeGreaterThan(0);
    expect(await time.getAttribute('title')).toMatch(/\d{4}, \d{2}:\d{2}/);
    expect(debian.slice(3)).toEqual(['17,493', '42']);
    expect(await page.locator('main img, main b, main script').count()).toBe(0);
    expect(dialogs).toEqual([]);

    // Administrators get a sync and an import form per feed.
    await page.getByRole('heading', { name: 'Update feeds' }).waitFor();
    for (const name of [/^Debian security tracker/, /^CISA KEV/, /^FIRST EPSS/]) {
      await card(name).getByRole('button', { name: /^Sync now/ }).waitFor();
      await card(name).getByLabel('Feed file').waitFor();
    }
    expect(await card(/^Debian security tracker/).getByLabel('Releases').count()).toBe(1);
    expect(await card(/^CISA KEV/).getByLabel('Releases').count()).toBe(0);
    await screenshot(page, 'feeds-01-admin');
  }, 60_000);

  it.skipIf(!HAVE_KEV)(HAVE_KEV ? 'imports the real CISA KEV catalogue through the file form' : `imports the real CISA KEV catalogue (${KEV_SKIP})`, async () => {
    const kev = card(/^CISA KEV/);
    const importButton = kev.getByRole('button', { name: /^Import file/ });
    expect(await importButton.isDisabled()).toBe(true); // no file chosen yet
    await kev.getByLabel('Feed file').setInputFiles(KEV_FILE);
    await importButton.click();

    const result = kev.getByRole('status');
    await result.getByText('Import finished').waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain('1,404 records, version 2025.08.25');
    expect(await result.locator('ul.summary li').allTextContents()).toEqual(['1,404 added', '0 changed', '0 removed', '0 unchanged', '14 new aliases']);
    expect(await result.locator('summary').textContent()).toBe('1,404 vulnerabilities changed');
    await result.locator('summary').click();
    expect(await result.locator('ul.changed-list li').count()).toBe(100);
    const first = result.locator('ul.changed-list a').first();
    expect(await first.getAttribute('href')).toBe(`/vulnerabilities/${await first.textContent()}`);
    expect(await first.textContent()).toMatch(/^CVE-\d{4}-\d{4,}$/);

    // The table row follows: version, records, change count, source, fetched just now.
    await expect.poll(async () => (await cells(page, 'kev'))[1]).toBe('2025.08.25');
    const kevCells = await cells(page, 'kev');
    expect(kevCells[0]).toBe('known_exploited_vulnerabilities.json');
    expect(kevCells[2]).toMatch(/^just now/);
    expect(kevCells.slice(3)).toEqual(['1,404', '1,404']);
    const state = await stateOf('kev');
    expect(state).toMatchObject({ version: '2025.08.25', records: 1404, changed: 1404, source: 'known_exploited_vulnerabilities.json' });
    expect(await kev.getByLabel('Feed file').inputValue()).toBe(''); // cleared, so a second click cannot import it again
    await screenshot(page, 'feeds-02-kev-imported');
  }, 120_000);

  it('refuses a malformed KEV file, naming the entry and field, and leaves the stored feed as it was', async () => {
    const before = await stateOf('kev');
    const doc = HAVE_KEV
      ? (JSON.parse(fs.readFileSync(KEV_FILE, 'utf8')) as { vulnerabilities: { cveID: string }[] })
      : { catalogVersion: '2025.08.25', dateReleased: '2025-08-25T17:04:19Z', count: 3, vulnerabilities: [0, 1, 2].map((i) => ({ cveID: `CVE-2025-100${i}`, vendorProject: 'v', product: 'p', vulnerabilityName: 'n', dateAdded: '2025-08-01', shortDescription: 'd', requiredAction: 'a', dueDate: '2025-08-22', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [] })) };
    (doc.vulnerabilities[2] as { cveID: string }).cveID = 'CVE-BROKEN';

    const kev = card(/^CISA KEV/);
    await kev.getByLabel('Feed file').setInputFiles({ name: 'kev-broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await kev.getByRole('button', { name: /^Import file/ }).click();
    const alert = kev.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Bad request');
    expect(text).toContain('not valid at vulnerabilities[2].cveID');
    expect(text).toContain('expected a CVE id (CVE-YYYY-NNNN), got "CVE-BROKEN"');
    expect(text).toContain('nothing was imported');
    expect(await alert.locator('li').allTextContents()).toEqual(['Vulnerabilities[2].cveID expected a CVE id (CVE-YYYY-NNNN), got "CVE-BROKEN"']);
    expect(await kev.getByRole('status').count()).toBe(0); // the earlier result is gone
    await screenshot(page, 'feeds-03-kev-malformed');

    // Nothing changed: the same state (to the fetch time) in the API and in the table.
    expect(await stateOf('kev')).toEqual(before);
    const kevCells = await cells(page, 'kev');
    if (before) expect(kevCells.slice(0, 2)).toEqual([before.source, before.version]);
    else expect(kevCells.join(' ')).toContain('Never imported');
  }, 60_000);

  it('shows a 413 from the server, and one from a proxy, as a clear error', async () => {
    const kev = card(/^CISA KEV/);
    // Sending a real 512 MiB body from the browser is out of reach for a test; the route answers as the server does.
    await page.route('**/api/feeds/kev/import**', (r) =>
      r.fulfill({
        status: 413,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'https://patchloop.dev/problems/payload-too-large', title: 'Payload too large', status: 413, detail: 'The request body is larger than the limit of 536870912 bytes', instance: '/api/feeds/kev/import', requestId: 'req-413' }),
      }),
    );
    try {
      await kev.getByLabel('Feed file').setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.from('{}') });
      await kev.getByRole('button', { name: /^Import file/ }).click();
      const alert = kev.getByRole('alert');
      await alert.getByText('The request body is larger than the limit of 536870912 bytes').waitFor();
      expect(await alert.textContent()).toContain('Payload too large');
      expect(await alert.textContent()).toContain('req-413');
      await kev.getByText('Feed files of up to 512 MiB (also once decompressed) are accepted. Nothing was imported.').waitFor();
      await screenshot(page, 'feeds-04-413');

      // A reverse proxy's HTML page is not shown as markup.
      await page.unroute('**/api/feeds/kev/import**');
      await page.route('**/api/feeds/kev/import**', (r) => r.fulfill({ status: 413, contentType: 'text/html', body: '<html><body><h1>413 Request Entity Too Large</h1><hr>nginx</body></html>' }));
      await kev.getByRole('button', { name: /^Import file/ }).click();
      await alert.getByText(/refused as too large \(HTTP 413\), perhaps by a proxy/).waitFor();
      expect(await alert.textContent()).not.toContain('nginx');
      expect(await page.locator('main h1').count()).toBe(1);
    } finally {
      await page.unroute('**/api/feeds/kev/import**');
    }
  }, 60_000);

  it('syncs EPSS from a mirror: a download error, a refused URL, the pending state, the result, then "not modified"', async () => {
    const epss = card(/^FIRST EPSS/);
    const mirrorField = epss.getByLabel('Mirror URL (optional)');
    const syncButton = epss.getByRole('button', { name: /^Sync now/ });

    // The mirror answers 404: a 502 naming the URL and the status; nothing stored.
    await mirrorField.fill(`${mirror.url}/missing.csv.gz`);
    await syncButton.click();
    const alert = epss.getByRole('alert');
    await alert.getByText('Feed download failed').waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain(`${mirror.url}/missing.csv.gz: HTTP 404`);
    expect(await stateOf('epss')).toBeUndefined();

    // A URL the API refuses: the error is shown at the field.
    await mirrorField.fill('ftp://127.0.0.1/epss.csv.gz');
    await syncButton.click();
    await epss.locator('.field-error').waitFor();
    expect(await mirrorField.getAttribute('aria-invalid')).toBe('true');
    expect(await alert.textContent()).toContain('Correct the fields marked below');

    // The real mirror; the request is held back a moment so the pending state can be seen.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route('**/api/feeds/epss/sync**', async (r) => {
      await held;
      await r.continue();
    });
    try {
      await mirrorField.fill(`${mirror.url}/epss.csv.gz`);
      await syncButton.click();
      await epss.getByRole('button', { name: /^Syncing…/ }).waitFor();
      expect(await epss.getByRole('button', { name: /^Syncing…/ }).isDisabled()).toBe(true);
      expect(await epss.getByRole('button', { name: /^Import file/ }).isDisabled()).toBe(true);
      expect(await epss.getAttribute('aria-busy')).toBe('true');
      await epss.locator('progress').waitFor();
      expect(await epss.locator('.feed-pending').textContent()).toContain('Downloading from the mirror and importing…');
      expect(await mirrorField.getAttribute('aria-invalid')).toBe('false'); // the earlier error is cleared
      await screenshot(page, 'feeds-05-epss-pending');
      release();
      const result = epss.getByRole('status');
      await result.getByText('Sync finished').waitFor({ timeout: 30_000 });
      expect(await result.textContent()).toContain('5 records, version 2025-09-03 (model v2025.03.14)');
      expect(await result.locator('ul.summary li').allTextContents()).toEqual(['5 added', '0 changed', '0 removed', '0 unchanged']);
      expect(await result.textContent()).toContain('No package advisory changed');
      expect(await epss.getByRole('button', { name: /^Sync now/ }).isDisabled()).toBe(false);
    } finally {
      release();
      await page.unroute('**/api/feeds/epss/sync**');
    }
    await expect.poll(async () => (await cells(page, 'epss'))[1]).toBe('2025-09-03 (model v2025.03.14)');
    const epssCells = await cells(page, 'epss');
    expect(epssCells[0]).toBe(`${mirror.url}/epss.csv.gz`);
    expect(epssCells.slice(3)).toEqual(['5', '5']);
    expect(mirror.requests.filter((r) => r.url === '/epss.csv.gz')).toEqual([{ url: '/epss.csv.gz', ifNoneMatch: undefined }]);
    await screenshot(page, 'feeds-06-epss-synced');

    // Again: the mirror is asked conditionally and says nothing changed.
    const fetchedBefore = (await stateOf('epss'))?.fetchedAt;
    await syncButton.click();
    await epss.getByRole('status').getByText('Not modified:').waitFor({ timeout: 30_000 });
    expect(await epss.getByRole('status').textContent()).toContain('nothing was downloaded or imported (5 records, version 2025-09-03 (model v2025.03.14))');
    expect(mirror.requests.at(-1)).toEqual({ url: '/epss.csv.gz', ifNoneMatch: EPSS_ETAG });
    const after = await stateOf('epss');
    expect(after).toMatchObject({ records: 5, version: '2025-09-03 (model v2025.03.14)' });
    expect(Date.parse(after?.fetchedAt ?? '')).toBeGreaterThan(Date.parse(fetchedBefore ?? ''));
  }, 90_000);

  it('shows an auditor the table but no sync or import controls', async () => {
    const other = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    try {
      const p2 = await other.newPage();
      watch(p2, 'auditor');
      await signIn(p2, AUDITOR);
      await openFeeds(p2);
      await expect.poll(async () => (await cells(p2, 'epss'))[1]).toBe('2025-09-03 (model v2025.03.14)');
      if (HAVE_KEV) expect((await cells(p2, 'kev'))[1]).toBe('2025.08.25');
      expect((await cells(p2, 'debian'))[0]).toBe(HOSTILE_SOURCE);
      expect(await p2.getByRole('heading', { name: 'Update feeds' }).count()).toBe(0);
      expect(await p2.getByRole('button', { name: /Sync now/ }).count()).toBe(0);
      expect(await p2.getByRole('button', { name: /Import file/ }).count()).toBe(0);
      expect(await p2.locator('main input, main form').count()).toBe(0);
      await screenshot(p2, 'feeds-07-auditor');
      // The API agrees: the auditor may read feeds but not sync them.
      const me = (await (await p2.request.get(url('/api/auth/me'))).json()) as { csrfToken: string };
      expect((await p2.request.post(url('/api/feeds/epss/sync'), { headers: { 'x-csrf-token': me.csrfToken } })).status()).toBe(403);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('has no script errors, dialogs or CSP violations on the way', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
