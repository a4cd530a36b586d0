/**
 * Shared set-up for the browser tests: Debian's Chromium driven by
 * playwright-core (never a downloaded browser), a real patchloop server on a
 * temporary data directory, and the built web UI.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { loadConfig } from '../../src/lib/config.js';
import { type RunningServer, startServer } from '../../src/main/server.js';

export const CHROMIUM = process.env.PATCHLOOP_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
export const SKIP_REASON = `browser tests skipped: no Chromium at ${CHROMIUM} (install it with "apt-get install -y chromium" or set PATCHLOOP_CHROMIUM)`;

const ROOT = path.resolve(import.meta.dirname, '../..');
const WEB_INDEX = path.join(ROOT, 'dist/web/index.html');
export const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the web UI when it is missing or older than its sources, so the tests never drive a stale bundle. */
export function ensureWebBuilt() {
  const built = fs.existsSync(WEB_INDEX) ? fs.statSync(WEB_INDEX).mtimeMs : 0;
  if (built > newestMtime(path.join(ROOT, 'web/src'))) return;
  execSync('npm run build:web', { cwd: ROOT, stdio: 'pipe' });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function startTestServer(): Promise<RunningServer & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-browser-'));
  const server = await startServer(loadConfig({ PATCHLOOP_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', PATCHLOOP_LOG_LEVEL: 'silent' }));
  return {
    ...server,
    dataDir,
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
