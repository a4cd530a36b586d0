/**
 * Vulnerability intelligence feeds: what each one holds and when it was last fetched; administrators
 * sync a feed from its public URL (or a mirror) or import a downloaded file, and see what changed.
 */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, FEED_UPLOAD_LIMIT, type FeedImportSummary, type FeedState, api } from '../api.js';
import { Badge, ErrorBanner, Field, Spinner, fieldErrorsOf, useLoad, useSession } from '../components.js';
import { FEED_INFO, feedName, feedOrder, formatCount, formatRelative, formatTime } from '../labels.js';
import { Link, useTitle } from '../router.js';

const LIMIT_MIB = Math.round(FEED_UPLOAD_LIMIT / 1024 / 1024);
/** How many changed vulnerability ids a result lists as links. */
const LISTED = 100;

/** The current time, refreshed every `ms`, so relative times stay true while the page is open. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function FeedsPage() {
  useTitle('Feeds');
  const { can } = useSession();
  const admin = can('system:admin');
  const feeds = useLoad(() => api.listFeeds(), 'feeds');
  // Feeds never imported are absent from GET /api/feeds; the OpenAPI document names every feed the server takes.
  const known = useLoad(() => api.feedNames().catch(() => null), 'feed-names');
  const now = useNow(30_000);

  const states = new Map((feeds.data ?? []).map((f) => [f.feed, f]));
  const names = [...new Set([...states.keys(), ...(known.data ?? Object.keys(FEED_INFO))])].sort(feedOrder);
  const ready = feeds.data !== undefined && !known.loading;

  return (
    <section>
      <div className="page-head">
        <h1>Feeds</h1>
        <div className="actions">
          <Link className="button" to="/vulnerabilities?scope=all">
            All vulnerabilities
          </Link>
        </div>
      </div>
      <p className="muted">
        The vulnerability intelligence that matching and prioritisation use. Unless turned off (<code>PATCHLOOP_FEED_SYNC=off</code>), the server downloads
        every feed once a day; each import writes only what changed and re-evaluates the findings of the assets it affects.
      </p>

      <ErrorBanner error={feeds.error} />
      {!ready && !feeds.error && <Spinner />}
      {ready && (
        <div className="table-wrap">
          <table className="data feeds">
            <thead>
              <tr>
                <th scope="col">Feed</th>
                <th scope="col">Source</th>
                <th scope="col">Version</th>
                <th scope="col">Last fetched</th>
                <th scope="col" className="num">
                  Records
                </th>
                <th scope="col" className="num">
                  Last change
                </th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => (
                <FeedRow key={name} name={name} state={states.get(name)} admin={admin} now={now} />
              ))}
              {names.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    The server names no feeds.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {ready && <p className="muted small">Last change: the records the feed’s last import added, changed or removed. A sync that found nothing new only moves the fetch time.</p>}

      {ready && admin && names.length > 0 && (
        <>
          <h2>Update feeds</h2>
          <p className="muted">
            <strong>Sync now</strong> downloads a feed from its public URL, or from a mirror you name, and imports it; the download is skipped when the
            source says nothing changed. Sites without internet access import a downloaded file instead (up to {LIMIT_MIB} MiB). A file that is not valid
            changes nothing.
          </p>
          <div className="card-grid feed-cards">
            {names.map((name) => (
              <FeedActions key={name} feed={name} onDone={feeds.reload} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function FeedRow({ name, state, admin, now }: { name: string; state: FeedState | undefined; admin: boolean; now: number }) {
  const info = FEED_INFO[name];
  return (
    <tr data-feed={name}>
      <th scope="row" className="feed-name">
        {feedName(name)} <code className="muted small">{name}</code>
        {info && <div className="muted small">{info.about}</div>}
      </th>
      {state ? (
        <>
          <td className="break small">{state.source}</td>
          <td className="break">{state.version ?? <span className="muted">—</span>}</td>
          <td className="nowrap">
            <time dateTime={state.fetchedAt} title={formatTime(state.fetchedAt)}>
              {formatRelative(state.fetchedAt, now)}
            </time>
            <span className="visually-hidden"> ({formatTime(state.fetchedAt)})</span>
          </td>
          <td className="num">{formatCount(state.records)}</td>
          <td className="num">{formatCount(state.changed)}</td>
        </>
      ) : (
        <td colSpan={5} className="feed-never">
          <Badge kind="warn">Never imported</Badge>{' '}
          <span className="muted">{admin ? 'No data yet: sync it or import a file below.' : 'No data yet: an administrator syncs or imports it.'}</span>
        </td>
      )}
    </tr>
  );
}

type Action = 'sync' | 'import';
type Outcome =
  | { kind: 'idle' }
  | { kind: 'busy'; action: Action; what: string; started: number }
  | { kind: 'done'; action: Action; summary: FeedImportSummary }
  | { kind: 'failed'; action: Action; error: unknown };

const problem = (status: number, title: string, detail: string) => new ApiError(status, { type: 'about:blank', title, status, detail, requestId: '' });

/** A 413 from something other than patchloop (a proxy's HTML page) becomes a readable problem. */
function explain(error: unknown): unknown {
  if (error instanceof ApiError && error.status === 413 && !error.problem.requestId) {
    return problem(413, 'Payload too large', 'The file was refused as too large (HTTP 413), perhaps by a proxy in front of patchloop.');
  }
  return error;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Sync and import for one feed (administrators), with the outcome of the last of them. */
function FeedActions({ feed, onDone }: { feed: string; onDone: () => void }) {
  const info = FEED_INFO[feed];
  const headingId = useId();
  const [url, setUrl] = useState('');
  const [release, setRelease] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const fileInput = useRef<HTMLInputElement>(null);
  const busy = outcome.kind === 'busy';
  const debian = feed === 'debian';
  const releases = debian ? release.replace(/\s+/g, '') || undefined : undefined;

  const fe = outcome.kind === 'failed' ? fieldErrorsOf(outcome.error) : {};
  const urlErrors = [...(fe['querystring.url'] ?? []), ...(fe['query.url'] ?? [])];
  const releaseErrors = [...(fe['querystring.release'] ?? []), ...(fe['query.release'] ?? [])];

  const run = async (action: Action, what: string, call: () => Promise<FeedImportSummary>) => {
    setOutcome({ kind: 'busy', action, what, started: Date.now() });
    try {
      const summary = await call();
      setOutcome({ kind: 'done', action, summary });
      if (action === 'import') {
        setFile(null);
        if (fileInput.current) fileInput.current.value = '';
      }
      onDone();
    } catch (error) {
      setOutcome({ kind: 'failed', action, error: explain(error) });
    }
  };

  const sync = (e: FormEvent) => {
    e.preventDefault();
    const mirror = url.trim() || undefined;
    run('sync', mirror ? 'Downloading from the mirror and importing' : 'Downloading and importing', () => api.syncFeed(feed, { url: mirror, release: releases }));
  };

  const upload = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    if (file.size > FEED_UPLOAD_LIMIT) {
      setOutcome({
        kind: 'failed',
        action: 'import',
        error: problem(413, 'Payload too large', `${file.name} is ${size(file.size)}; the server accepts feed files of up to ${LIMIT_MIB} MiB. Nothing was uploaded.`),
      });
      return;
    }
    run('import', `Uploading ${file.name} (${size(file.size)}) and importing`, () => api.importFeed(feed, file, { source: file.name.slice(0, 500), release: releases }));
  };

  return (
    <section className="card feed-card" aria-labelledby={headingId} aria-busy={busy}>
      <h3 id={headingId}>
        {feedName(feed)} <code className="muted small">{feed}</code>
      </h3>
      {debian && (
        <Field label="Releases" error={releaseErrors.length ? releaseErrors : undefined} hint="Comma-separated, e.g. bookworm,trixie. Empty: every release in the feed. Records of other releases stay as they are.">
          {(p) => <input {...p} value={release} onChange={(e) => setRelease(e.target.value)} placeholder="bookworm,trixie" maxLength={500} disabled={busy} />}
        </Field>
      )}
      <form onSubmit={sync} aria-label={`Sync ${feedName(feed)}`} className="feed-form">
        <Field label="Mirror URL (optional)" error={urlErrors.length ? urlErrors : undefined} hint={`Empty: the feed’s public URL.${info?.sync ? ` ${info.sync}` : ''}`}>
          {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://mirror.example/…" maxLength={2000} disabled={busy} />}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy && outcome.action === 'sync' ? 'Syncing…' : 'Sync now'}
          <span className="visually-hidden"> {feedName(feed)}</span>
        </button>
      </form>
      <form onSubmit={upload} aria-label={`Import a ${feedName(feed)} file`} className="feed-form">
        <Field label="Feed file" hint={info ? `Upload ${info.file}, up to ${LIMIT_MIB} MiB.` : `Up to ${LIMIT_MIB} MiB.`}>
          {(p) => <input {...p} ref={fileInput} type="file" accept={info?.accept} onChange={(e) => setFile(e.target.files?.[0] ?? null)} disabled={busy} />}
        </Field>
        <button type="submit" disabled={busy || !file}>
          {busy && outcome.action === 'import' ? 'Importing…' : 'Import file'}
          <span className="visually-hidden"> {feedName(feed)}</span>
        </button>
      </form>
      <div aria-live="polite" className="feed-outcome">
        {outcome.kind === 'busy' && <Pending what={outcome.what} started={outcome.started} />}
        {outcome.kind === 'done' && <Summary action={outcome.action} s={outcome.summary} />}
      </div>
      {outcome.kind === 'failed' && (
        <div className="feed-outcome">
          <ErrorBanner error={outcome.error} shownFields={[...(urlErrors.length ? ['querystring.url', 'query.url'] : []), ...(releaseErrors.length ? ['querystring.release', 'query.release'] : [])]} />
          {outcome.error instanceof ApiError && outcome.error.status === 413 && (
            <p className="small">Feed files of up to {LIMIT_MIB} MiB (also once decompressed) are accepted. Nothing was imported.</p>
          )}
        </div>
      )}
    </section>
  );
}

function Pending({ what, started }: { what: string; started: number }) {
  const now = useNow(1000);
  const seconds = Math.max(0, Math.round((now - started) / 1000));
  const elapsed = seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return (
    <p className="feed-pending">
      <progress aria-label={what} />
      <span>
        {what}… <span className="muted">{elapsed}</span>
      </span>
    </p>
  );
}

function Summary({ action, s }: { action: Action; s: FeedImportSummary }) {
  const shown = s.changedVulnerabilities.slice(0, LISTED);
  return (
    <div className="notice notice-ok feed-result" role="status">
      {s.notModified ? (
        <p>
          <strong>Not modified:</strong> the source has nothing new since the last download, so nothing was downloaded or imported ({formatCount(s.records)}{' '}
          records, version <span className="break">{s.version ?? '—'}</span>).
        </p>
      ) : (
        <>
          <p>
            <strong>{action === 'sync' ? 'Sync finished' : 'Import finished'}:</strong> {formatCount(s.records)} records, version{' '}
            <span className="break">{s.version ?? '—'}</span>.
          </p>
          <ul className="summary">
            <li>
              <strong>{formatCount(s.added)}</strong> added
            </li>
            <li>
              <strong>{formatCount(s.changed)}</strong> changed
            </li>
            <li>
              <strong>{formatCount(s.removed)}</strong> removed
            </li>
            <li>
              <strong>{formatCount(s.unchanged)}</strong> unchanged
            </li>
            {s.aliases > 0 && (
              <li>
                <strong>{formatCount(s.aliases)}</strong> new aliases
              </li>
            )}
          </ul>
          {s.nvd && (
            <div className="feed-nvd small">
              <p>
                {formatCount(s.nvd.pages)} NVD {s.nvd.pages === 1 ? 'page' : 'pages'} in {formatCount(s.nvd.requests)} {s.nvd.requests === 1 ? 'request' : 'requests'};{' '}
                {formatCount(s.nvd.rejected)} rejected CVEs; {formatCount(s.nvd.stale)} records older than the stored ones were left as they were.
              </p>
              {(s.nvd.cvssDisagreements > 0 || s.nvd.cvssInvalid > 0) && (
                <details>
                  <summary>
                    CVSS check: {formatCount(s.nvd.cvssDisagreements)} stated scores differ from the computed ones, {formatCount(s.nvd.cvssInvalid)} vectors are not valid
                  </summary>
                  <ul>
                    {s.nvd.cvssNotes.map((note, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: notes have no identity and never reorder
                      <li key={i}>{note}</li>
                    ))}
                  </ul>
                </details>
              )}
            </div>
          )}
          {s.rematch ? (
            <p className="feed-rematch">
              Findings re-evaluated on <strong>{formatCount(s.rematch.assets)}</strong> {s.rematch.assets === 1 ? 'asset' : 'assets'}: {formatCount(s.rematch.opened)} opened,{' '}
              {formatCount(s.rematch.reopened)} reopened, {formatCount(s.rematch.resolved)} resolved.
            </p>
          ) : (
            <p className="feed-rematch muted">
              {s.changedPackages.length > 0
                ? `${formatCount(s.changedPackages.length)} packages have changed advisories; no asset has them.`
                : 'No package advisory changed, so no findings were re-evaluated.'}
            </p>
          )}
          {s.changedVulnerabilitiesTotal > 0 && (
            <details>
              <summary>
                {formatCount(s.changedVulnerabilitiesTotal)} {s.changedVulnerabilitiesTotal === 1 ? 'vulnerability' : 'vulnerabilities'} changed
              </summary>
              <ul className="changed-list">
                {shown.map((id) => (
                  <li key={id}>
                    <Link to={`/vulnerabilities/${encodeURIComponent(id)}`}>{id}</Link>
                  </li>
                ))}
              </ul>
              {s.changedVulnerabilitiesTotal > shown.length && <p className="muted small">The first {formatCount(shown.length)} are listed.</p>}
            </details>
          )}
        </>
      )}
    </div>
  );
}
