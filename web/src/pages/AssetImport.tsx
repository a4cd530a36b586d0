/** CSV import: pick or drop a file, check it (dry run), then import; rejected files list every problem by row. */
import { type DragEvent, useRef, useState } from 'react';
import { ApiError, type ImportSummary, api } from '../api.js';
import { ErrorBanner } from '../components.js';
import { Link, useTitle } from '../router.js';
import { CSV_COLUMNS } from '../../../src/domain/assets/csv.js';
import { previewCsv } from '../csvPreview.js';

interface RowProblem {
  row: string;
  column: string;
  message: string;
}

/** "row 3, column owner" → {row: "3", column: "owner"}; "header, column 2" → {row: "header", column: "2"}. */
function rowProblems(error: unknown): RowProblem[] {
  if (!(error instanceof ApiError)) return [];
  return (error.problem.errors ?? []).map((e) => {
    const m = /^(?:row (\d+)|(header|line \d+|file))(?:, column (.+))?$/.exec(e.field);
    return m ? { row: m[1] ?? m[2] ?? '', column: m[3] ?? '', message: e.message } : { row: '', column: e.field, message: e.message };
  });
}

type Stage = { kind: 'empty' } | { kind: 'checking' } | { kind: 'checked'; summary: ImportSummary } | { kind: 'rejected'; error: unknown } | { kind: 'importing' } | { kind: 'done'; summary: ImportSummary };

export function AssetImportPage() {
  useTitle('Import assets');
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [stage, setStage] = useState<Stage>({ kind: 'empty' });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const check = async (f: { name: string; text: string }) => {
    setFile(f);
    setStage({ kind: 'checking' });
    try {
      setStage({ kind: 'checked', summary: await api.importAssets(f.text, true) });
    } catch (error) {
      setStage({ kind: 'rejected', error });
    }
  };

  const take = async (files: FileList | null) => {
    const f = files?.[0];
    if (!f) return;
    await check({ name: f.name, text: await f.text() });
  };

  const run = async () => {
    if (!file) return;
    setStage({ kind: 'importing' });
    try {
      setStage({ kind: 'done', summary: await api.importAssets(file.text, false) });
    } catch (error) {
      setStage({ kind: 'rejected', error });
    }
  };

  const reset = () => {
    setFile(null);
    setStage({ kind: 'empty' });
    if (input.current) input.current.value = '';
  };

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    take(e.dataTransfer.files);
  };

  const problems = stage.kind === 'rejected' ? rowProblems(stage.error) : [];

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/assets">Assets</Link> /
      </p>
      <h1>Import assets from CSV</h1>
      <p>
        The first row names the columns: <code>{CSV_COLUMNS.join(', ')}</code> (labels such as "IP addresses" or "Web server" work too). Rows match existing
        assets by id, FQDN or host name and update them; other rows create assets. If any row is invalid, nothing is imported. An{' '}
        <a href={api.assetExportUrl({})}>export</a> has the same columns.
      </p>

      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a mouse shortcut; the file input inside is the keyboard way */}
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
        data-testid="dropzone"
      >
        <label htmlFor="csv-file">Choose a CSV file</label>
        <input id="csv-file" ref={input} type="file" accept=".csv,text/csv" onChange={(e) => take(e.target.files)} />
        <p className="muted">…or drop it here.</p>
      </div>

      <div aria-live="polite">
        {file && (
          <p>
            File: <strong>{file.name}</strong>
          </p>
        )}
        {stage.kind === 'checking' && <p className="muted">Checking the file…</p>}
        {stage.kind === 'importing' && <p className="muted">Importing…</p>}
        {stage.kind === 'checked' && (
          <div className="card ok-card">
            <h2>Check passed: nothing has been imported yet</h2>
            <Summary s={stage.summary} future />
            <Preview text={file?.text ?? ''} />
            <div className="actions">
              <button type="button" className="primary" onClick={run}>
                Import {stage.summary.rows} {stage.summary.rows === 1 ? 'row' : 'rows'}
              </button>
              <button type="button" onClick={reset}>
                Choose another file
              </button>
            </div>
          </div>
        )}
        {stage.kind === 'done' && (
          <div className="card ok-card" role="status">
            <h2>Import complete</h2>
            <Summary s={stage.summary} />
            <div className="actions">
              <Link className="button primary" to="/assets?sort=updatedAt&order=desc">
                View assets
              </Link>
              <button type="button" onClick={reset}>
                Import another file
              </button>
            </div>
          </div>
        )}
      </div>
      {stage.kind === 'rejected' && (
        <div className="card">
          <h2>The file was rejected: nothing was imported</h2>
          <ErrorBanner error={stage.error} shownFields={problems.length ? (stage.error as ApiError).problem.errors?.map((e) => e.field) : []} />
          {problems.length > 0 && (
            <table className="data import-errors">
              <caption>Problems, row by row (row 1 is the header)</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Column</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity and never reorder
                  <tr key={i}>
                    <td>{p.row}</td>
                    <td>{p.column}</td>
                    <td>{p.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p>Fix the file and choose it again.</p>
          <button type="button" onClick={reset}>
            Choose another file
          </button>
        </div>
      )}
    </section>
  );
}

function Summary({ s, future }: { s: ImportSummary; future?: boolean }) {
  const w = future ? 'will be ' : '';
  return (
    <ul className="summary">
      <li>
        <strong>{s.rows}</strong> rows read
      </li>
      <li>
        <strong>{s.created}</strong> {w}created
      </li>
      <li>
        <strong>{s.updated}</strong> {w}updated
      </li>
      <li>
        <strong>{s.unchanged}</strong> unchanged
      </li>
      {s.decommissioned > 0 && (
        <li>
          <strong>{s.decommissioned}</strong> {w}decommissioned
        </li>
      )}
    </ul>
  );
}

/** The first rows of the file as a table, so the user sees what will be imported. */
function Preview({ text }: { text: string }) {
  const { header, rows, more } = previewCsv(text, 10);
  if (!header.length) return null;
  return (
    <div className="table-wrap preview">
      <table className="data">
        <caption>{more ? 'First 10 rows of the file' : 'Rows of the file'}</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            {header.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
              <th scope="col" key={i}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
            <tr key={i}>
              <td className="num">{i + 2}</td>
              {header.map((_, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                <td key={j}>{r[j] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
