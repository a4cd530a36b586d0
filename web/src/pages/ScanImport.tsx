/**
 * Scanner report import (issue #5 §1): drop or choose a report, it is sent as it is (the browser streams the
 * file; nothing here reads it into memory) to POST /api/imports, and the summary says what it did: assets
 * matched and created for review, findings new, seen again, reopened, resolved by scan, what was skipped. A
 * rejected file shows the problem and its position; nothing was imported. Below, the past imports.
 */
import { type DragEvent, useEffect, useRef, useState } from 'react';
import { SCAN_FORMATS } from '../../../src/domain/scanners/report.js';
import type { ImportSummary } from '../../../src/services/scan-import/import.service.js';
import { ApiError, type Problem, errorMessage, withQuery } from '../api.js';
import { ErrorBanner, Spinner, useLoad, useSession } from '../components.js';
import { FORMAT_LABELS, formatBytes, SummaryView } from '../components/ScanImportSummary.js';
import { formatCount, formatTime } from '../labels.js';
import { Link, useTitle } from '../router.js';


interface PastImport {
  id: string;
  format: string;
  scanner: string;
  reportName: string | null;
  fileName: string | null;
  bytes: number | null;
  scannedAt: string | null;
  importedAt: string;
  actor: string;
  counts: { assets: number; created: number; findings: number; new: number; resolved: number };
}

function networkError(err: unknown): ApiError {
  return new ApiError(0, { type: 'about:blank', title: 'Network error', status: 0, detail: `The server could not be reached (${(err as Error).message}). Check your connection and try again.`, requestId: '' });
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as unknown;
  if (res.ok) return body as T;
  const problem = body && typeof body === 'object' && 'title' in body ? (body as Problem) : { type: 'about:blank', title: res.statusText || 'Error', status: res.status, detail: `The server answered ${res.status}`, requestId: '' };
  throw new ApiError(res.status, problem);
}

async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  } catch (err) {
    throw networkError(err);
  }
  return answer<T>(res);
}

/** "host = IP, vulnerability=CVE" as the server reads it: field=Column pairs, no spaces around the separators. */
function tidyMapping(map: string): string | undefined {
  const pairs = map
    .split(',')
    .map((p) => p.split('=').map((x) => x.trim()).join('='))
    .filter((p) => p !== '');
  return pairs.length ? pairs.join(',') : undefined;
}

/** The File itself is the body: fetch streams it from disk, so a report of hundreds of MB never becomes a string here. */
async function uploadReport(file: File, opts: { format: string; map: string }, csrf: string | null): Promise<ImportSummary> {
  let res: Response;
  try {
    res = await fetch(withQuery('/api/imports', { fileName: file.name.slice(0, 255) || undefined, format: opts.format || undefined, map: tidyMapping(opts.map) }), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/octet-stream', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: file,
    });
  } catch (err) {
    throw networkError(err);
  }
  return answer<ImportSummary>(res);
}


type Stage = { kind: 'idle' } | { kind: 'uploading'; file: File; started: number } | { kind: 'done'; summary: ImportSummary } | { kind: 'rejected'; file: File; error: unknown };

export function ScanImportPage() {
  useTitle('Import a scanner report');
  const session = useSession();
  const canImport = session.can('asset:import');
  const [format, setFormat] = useState('');
  const [map, setMap] = useState('');
  const [stage, setStage] = useState<Stage>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const past = useLoad(() => getJson<PastImport[]>('/api/imports?limit=50'), 'imports');
  const busy = stage.kind === 'uploading';

  const start = async (files: FileList | null) => {
    const file = files?.[0];
    if (!file || busy) return;
    setStage({ kind: 'uploading', file, started: Date.now() });
    try {
      const summary = await uploadReport(file, { format, map }, session.me.csrfToken);
      setStage({ kind: 'done', summary });
      past.reload();
    } catch (error) {
      setStage({ kind: 'rejected', file, error });
    } finally {
      if (input.current) input.current.value = '';
    }
  };

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (canImport) start(e.dataTransfer.files);
  };

  return (
    <section>
      <h1>Import a scanner report</h1>
      <p>
        Nessus, Greenbone/OpenVAS, Qualys, Trivy, Grype, osv-scanner, SARIF, CycloneDX, OpenVEX, CSAF VEX or CSV; gzip-compressed files too. Hosts and images
        are matched to assets by agent id, image digest, FQDN, host name or address; unknown ones become assets flagged for review. The import is all or
        nothing: a broken file changes nothing.
      </p>

      {canImport ? (
        <>
          <div className="form-row">
            <label htmlFor="scan-format">Format</label>{' '}
            <select id="scan-format" value={format} disabled={busy} onChange={(e) => setFormat(e.target.value)}>
              <option value="">Detect from the content</option>
              {SCAN_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {FORMAT_LABELS[f]}
                </option>
              ))}
            </select>
          </div>
          <div className="form-row">
            <label htmlFor="scan-map">CSV column mapping</label>{' '}
            <input id="scan-map" type="text" size={50} value={map} disabled={busy} aria-describedby="scan-map-hint" placeholder="host=IP,vulnerability=CVE,package=Package" onChange={(e) => setMap(e.target.value)} />
            <p className="hint muted small" id="scan-map-hint">
              CSV only: which column holds what, as field=Column pairs (host, fqdn, address, agentId, image, vulnerability, severity, cvss, package, version,
              fixedVersion, ecosystem, title, location, output).
            </p>
          </div>

          <fieldset
            className={`dropzone${dragging ? ' dragging' : ''}`}
            data-testid="scan-dropzone"
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={drop}
          >
            <legend className="visually-hidden">Scanner report drop zone</legend>
            <label htmlFor="scan-file">Choose a report file</label>
            <input id="scan-file" ref={input} type="file" disabled={busy} onChange={(e) => start(e.target.files)} />
            <p className="muted">…or drop it here. It is imported as soon as it is chosen.</p>
          </fieldset>
        </>
      ) : (
        <p className="muted">Importing reports needs the asset:import permission (administrators and security analysts). Past imports are listed below.</p>
      )}

      <div role="status" aria-live="polite" aria-atomic="true">
        {stage.kind === 'uploading' && <Uploading file={stage.file} started={stage.started} />}
        {stage.kind === 'done' && <p>Import complete: {stage.summary.fileName ?? 'the report'} was imported.</p>}
        {stage.kind === 'rejected' && <p>The file {stage.file.name} was rejected: nothing was imported.</p>}
      </div>
      {stage.kind === 'done' && (
        <div className="card ok-card">
          <h2>Import complete</h2>
          <SummaryView s={stage.summary} />
          <p>
            <Link to={`/imports/${stage.summary.importId}`}>Permanent link to this summary</Link> · <Link to="/findings">Findings</Link>
          </p>
        </div>
      )}
      {stage.kind === 'rejected' && <Rejected file={stage.file} error={stage.error} />}

      <h2>Past imports</h2>
      {past.loading && !past.data ? <Spinner /> : <ErrorBanner error={past.error} />}
      {past.data && past.data.length === 0 && <p className="muted">No scanner report has been imported yet.</p>}
      {past.data && past.data.length > 0 && <PastTable rows={past.data} />}
    </section>
  );
}

function Uploading({ file, started }: { file: File; started: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  return (
    <p className="run-status">
      {/* The ticking seconds stay out of the live region's announcements: only "Importing …" is read out. */}
      <progress aria-label="Importing" /> Importing <strong>{file.name}</strong> ({formatBytes(file.size)})…{' '}
      <span aria-hidden="true">{Math.round((now - started) / 1000)} s</span>
    </p>
  );
}

function Rejected({ file, error }: { file: File; error: unknown }) {
  const problem = error instanceof ApiError ? error.problem : null;
  const first = problem?.errors?.[0];
  // The detail says what is wrong; the first field problem says where (a line and column, a JSON path, a byte).
  return (
    <div className="card" data-testid="import-error">
      <h2>The file was rejected: nothing was imported</h2>
      <p>
        File: <strong>{file.name}</strong>
      </p>
      <div className="error-banner" role="alert">
        <p>
          <strong>{problem?.title ?? 'Error'}:</strong> {errorMessage(error)}
        </p>
        {first && first.field !== 'file' && (
          <p>
            Position: <strong>{first.field}</strong> ({first.message.startsWith(`${first.field}: `) ? first.message.slice(first.field.length + 2) : first.message})
          </p>
        )}
        {problem?.requestId && <p className="muted small">Request id {problem.requestId}</p>}
      </div>
      <p>Fix the file, or name its format, and choose it again.</p>
    </div>
  );
}

function PastTable({ rows }: { rows: PastImport[] }) {
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">Past scanner imports, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Imported</th>
            <th scope="col">File</th>
            <th scope="col">Format</th>
            <th scope="col" className="num">
              Assets
            </th>
            <th scope="col" className="num">
              Created
            </th>
            <th scope="col" className="num">
              Findings
            </th>
            <th scope="col" className="num">
              New
            </th>
            <th scope="col" className="num">
              Resolved
            </th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/imports/${r.id}`}>{formatTime(r.importedAt)}</Link>
              </td>
              <td>{r.fileName ?? r.reportName ?? '—'}</td>
              <td>{r.scanner}</td>
              <td className="num">{formatCount(r.counts.assets)}</td>
              <td className="num">{formatCount(r.counts.created)}</td>
              <td className="num">{formatCount(r.counts.findings)}</td>
              <td className="num">{formatCount(r.counts.new)}</td>
              <td className="num">{formatCount(r.counts.resolved)}</td>
              <td>{r.actor}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One past import's summary (/imports/:id). */
export function ScanImportDetailPage({ id }: { id: string }) {
  useTitle('Scanner import');
  const s = useLoad(() => getJson<ImportSummary>(`/api/imports/${encodeURIComponent(id)}`), id);
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/imports">Scanner imports</Link> /
      </p>
      <h1>Scanner import{s.data?.fileName ? `: ${s.data.fileName}` : ''}</h1>
      {s.loading && <Spinner />}
      <ErrorBanner error={s.error} />
      {s.data && (
        <div className="card">
          <SummaryView s={s.data} />
        </div>
      )}
    </section>
  );
}
