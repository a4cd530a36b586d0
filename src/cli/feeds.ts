import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Command } from 'commander';
import { parseNvdPage } from '../domain/feeds/nvd.js';
import { FEEDS, type FeedName } from '../services/feeds/types.js';
import { type ApiClient, call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/** File names each feed is published under, for --from DIR (searched in DIR and its sub-folders). */
const FILE_PATTERNS: Record<FeedName, RegExp[]> = {
  debian: [/^tracker\.json(\.gz)?$/, /^json(\.gz)?$/, /^debian[-_]?(security[-_]?)?tracker.*\.json(\.gz)?$/],
  kev: [/^known_exploited_vulnerabilities\.json(\.gz)?$/, /^kev.*\.json(\.gz)?$/],
  epss: [/^epss_scores-current\.csv(\.gz)?$/, /^epss.*\.csv(\.gz)?$/],
  // API 2.0 response pages, or the NVD's 2.0 data feeds (nvdcve-2.0-2024.json.gz …).
  nvd: [/^nvd.*\.json(\.gz)?$/],
  // osv.dev's whole-ecosystem archive, or a file of records.
  osv: [/^all\.zip$/, /^osv.*\.(zip|json)$/],
};

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** The feed a file name suggests, if any. */
export function guessFeed(file: string): FeedName | null {
  const base = path.basename(file).toLowerCase();
  for (const f of FEEDS) if (FILE_PATTERNS[f].some((re) => re.test(base))) return f;
  return null;
}

/** The file for `feed` in `dir` or one level below (the newest by name when several match). */
export function findFeedFile(dir: string, feed: FeedName): string | null {
  const dirs = [dir, ...fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name)).sort()];
  for (const re of FILE_PATTERNS[feed]) {
    for (const d of dirs) {
      const hits = fs.readdirSync(d).filter((f) => re.test(f.toLowerCase()) && fs.statSync(path.join(d, f)).isFile()).sort();
      if (hits.length) return path.join(d, hits[hits.length - 1] as string);
    }
  }
  return null;
}

/** Every NVD page file in `dir` or one level below, by name: a directory of pages is imported whole. */
export function findNvdPages(dir: string): string[] {
  const dirs = [dir, ...fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name)).sort()];
  return dirs.flatMap((d) =>
    fs.readdirSync(d).filter((f) => FILE_PATTERNS.nvd.some((re) => re.test(f.toLowerCase())) && fs.statSync(path.join(d, f)).isFile()).sort().map((f) => path.join(d, f)),
  );
}

/** File → text for the API: gzip is decompressed here; invalid UTF-8 is refused rather than silently replaced. */
export function readFeedFile(file: string): string {
  let bytes: Buffer = fs.readFileSync(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file} is not valid UTF-8 text`);
  }
}

export function describeSummary(s: Record<string, any>): string {
  const v = s.version ? ` ${s.version}` : '';
  if (s.notModified) return `${s.feed}: not modified since the last download (${s.records} records${v ? `, version${v}` : ''})`;
  const nv = s.changedVulnerabilitiesTotal ?? s.changedVulnerabilities.length;
  const lists = `${nv} vulnerabilit${nv === 1 ? 'y' : 'ies'} and ${s.changedPackages.length} package(s) changed`;
  const line = `${s.feed}${v}: ${s.records} records from ${s.source} — ${s.added} added, ${s.changed} changed, ${s.removed} removed, ${s.unchanged} unchanged; ${lists}${s.aliases ? `; ${s.aliases} new alias(es)` : ''}`;
  if (!s.nvd) return line;
  const n = s.nvd;
  const notes = [`${n.pages} page(s)`, n.requests ? `${n.requests} request(s)` : '', n.rejected ? `${n.rejected} rejected` : '', n.stale ? `${n.stale} older than stored (skipped)` : '',
    n.cvssDisagreements ? `${n.cvssDisagreements} CVSS score(s) differ from our computation (the NVD's kept)` : '', n.cvssInvalid ? `${n.cvssInvalid} CVSS vector(s) we refuse` : ''].filter(Boolean);
  return [`${line}; ${notes.join(', ')}`, ...n.cvssNotes.map((x: string) => `  ${x}`)].join('\n');
}

/** A directory of OSV record files (an extracted all.zip) as one JSON array; each file must hold a record. */
function osvDirectory(dir: string): string {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  if (names.length === 0) throw new Error(`${dir} holds no .json files`);
  const records = names.map((n) => {
    try {
      return JSON.parse(readFeedFile(path.join(dir, n)));
    } catch (err) {
      throw new Error(`${path.join(dir, n)}: ${(err as Error).message}; nothing was imported`);
    }
  });
  return JSON.stringify(records);
}

async function syncOne(client: ApiClient, feed: FeedName, from: string | undefined, release: string | undefined): Promise<Record<string, any>> {
  if (!from) return call(client, 'POST', `/api/feeds/${feed}/sync`, { query: { release } });
  if (isUrl(from)) return call(client, 'POST', `/api/feeds/${feed}/sync`, { query: { url: from, release } });
  const file = path.resolve(from);
  if (feed === 'osv') {
    const dir = fs.statSync(file).isDirectory();
    const zip = !dir && file.toLowerCase().endsWith('.zip');
    return call(client, 'POST', `/api/feeds/osv/import`, {
      raw: dir ? osvDirectory(file) : zip ? fs.readFileSync(file) : readFeedFile(file),
      contentType: zip ? 'application/zip' : 'application/json',
      query: { source: file },
    });
  }
  return call(client, 'POST', `/api/feeds/${feed}/import`, {
    raw: readFeedFile(file),
    contentType: feed === 'epss' ? 'text/csv' : 'application/json',
    query: { source: file, release },
  });
}

export function feedCommands(program: Command, run: Runner) {
  const feeds = program.command('feeds').description('Vulnerability feeds: Debian security tracker, CISA KEV, EPSS, NVD, OSV (VUL-1)');

  feeds.command('list').description('Each feed\'s source, version, last fetch and record counts').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const list = await call(client, 'GET', '/api/feeds');
      if (opts.json) printJson(list);
      else console.log(table(list, [{ key: 'feed', label: 'FEED' }, { key: 'version', label: 'VERSION', max: 36 }, { key: 'records', label: 'RECORDS' }, { key: 'changed', label: 'CHANGED' }, { key: 'fetchedAt', label: 'FETCHED' }, { key: 'source', label: 'SOURCE', max: 70 }]));
    }),
  );

  feeds
    .command('sync [name]')
    .description(`Fetch and import a feed (${FEEDS.join(', ')}; all without NAME). Without --from the server downloads it from the public URL (conditionally, with retries); --from FILE or DIR imports a local copy (offline sites), --from URL fetches from a mirror. nvd: the first sync fetches every CVE (~15 minutes without PATCHLOOP_NVD_API_KEY on the server), later ones what changed since; --from takes API 2.0 response pages (a DIR: every nvd*.json[.gz] in it). osv: osv.dev's all.zip of each ecosystem (Debian, Ubuntu, Alpine, Red Hat, AlmaLinux, Rocky Linux, npm, PyPI, Maven, Go); --from takes an all.zip, a JSON file of records or a DIR of record files.`)
    .option('--from <FILE|DIR|URL>', 'local file, folder holding the feed files, or URL to fetch from')
    .option('--release <names>', 'Debian: only these releases, comma-separated (e.g. bookworm,trixie)')
    .option('--json', 'print the summaries as JSON')
    .action((name: string | undefined, opts: { from?: string; release?: string; json?: boolean }) =>
      run(async (client) => {
        if (name !== undefined && !(FEEDS as readonly string[]).includes(name)) throw new Error(`unknown feed "${name}"; expected one of ${FEEDS.join(', ')}`);
        const from = opts.from;
        let jobs: { feed: FeedName; from?: string }[];
        if (!from) jobs = (name ? [name as FeedName] : [...FEEDS]).map((feed) => ({ feed }));
        else if (isUrl(from)) {
          if (!name) throw new Error('name the feed a URL holds: patchloop feeds sync NAME --from URL');
          jobs = [{ feed: name as FeedName, from }];
        } else {
          if (!fs.existsSync(from)) throw new Error(`${from} does not exist`);
          if (fs.statSync(from).isDirectory()) {
            const wanted = name ? [name as FeedName] : [...FEEDS];
            jobs = wanted.flatMap((feed): { feed: FeedName; from: string }[] => {
              if (feed === 'nvd') return findNvdPages(from).map((file) => ({ feed, from: file }));
              // `feeds sync osv --from DIR`: an all.zip in it, else DIR is a folder of record files.
              if (feed === 'osv' && name === 'osv') return [{ feed, from: findFeedFile(from, feed) ?? from }];
              const file = findFeedFile(from, feed);
              return file ? [{ feed, from: file }] : [];
            });
            if (name && jobs.length === 0) throw new Error(`no ${name} feed file in ${from} (looked for ${FILE_PATTERNS[name as FeedName].map(String).join(', ')})`);
            if (jobs.length === 0) throw new Error(`no feed files in ${from}`);
          } else {
            const feed = (name as FeedName | undefined) ?? guessFeed(from);
            if (!feed) throw new Error(`cannot tell which feed ${from} is; name it: patchloop feeds sync NAME --from FILE`);
            jobs = [{ feed, from }];
          }
        }
        // Every NVD page is checked before the first is sent, so a bad file in a directory imports none.
        const pages = jobs.filter((j) => j.feed === 'nvd' && j.from && !isUrl(j.from));
        if (pages.length > 1) {
          for (const j of pages) {
            try {
              parseNvdPage(JSON.parse(readFeedFile(j.from as string)));
            } catch (err) {
              throw new Error(`${j.from}: ${(err as Error).message}; nothing was imported`);
            }
          }
        }
        const out: unknown[] = [];
        for (const j of jobs) {
          if (j.feed === 'nvd' && (!j.from || isUrl(j.from))) {
            const state = ((await call(client, 'GET', '/api/feeds')) as { feed: string; lastModified: string | null }[]).find((f) => f.feed === 'nvd');
            if (!state?.lastModified) console.error('nvd: first sync, fetching every CVE (~300,000; about 15 minutes at the rate limit without an NVD API key) …');
          }
          const s = await syncOne(client, j.feed, j.from, opts.release);
          if (opts.json) out.push(s);
          else console.log(describeSummary(s));
        }
        if (opts.json) printJson(out);
      }),
    );
}
