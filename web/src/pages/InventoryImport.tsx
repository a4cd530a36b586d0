/**
 * CMDB/CSV inventory import (INV-3): choose a CSV, say which column holds what, check it (a dry run that lists
 * every problem by row and column), then import: every asset's inventory or none.
 */
import { useState } from 'react';
import { ApiError, api, type InventoryCsvImport, type InventoryCsvResult } from '../api.js';
import { ErrorBanner, Field, useSession } from '../components.js';
import { Link, useTitle } from '../router.js';

type MapField = keyof InventoryCsvImport['mapping'];
const FIELDS: { field: MapField; label: string; guess: RegExp; hint?: string }[] = [
  { field: 'host', label: 'Host', guess: /^(ciname|ci|host|hostname|server|servername|fqdn|asset|assetid|computername|device|node|system|ipaddress|ip)$/, hint: 'asset id, FQDN, host name or IP address' },
  { field: 'name', label: 'Package name', guess: /^(software|softwarename|package|packagename|product|productname|name|application|component)$/ },
  { field: 'version', label: 'Version', guess: /^(version|softwareversion|packageversion|installedversion|productversion)$/ },
  { field: 'arch', label: 'Architecture', guess: /^(arch|architecture)$/ },
  { field: 'ecosystem', label: 'Ecosystem', guess: /^(ecosystem|type|packagetype|packagemanager|format)$/, hint: 'deb, rpm, apk, npm, pypi, maven, go' },
  { field: 'purl', label: 'Package URL (purl)', guess: /^(purl|packageurl)$/ },
  { field: 'sourceName', label: 'Source package', guess: /^(source|sourcepackage|sourcename)$/ },
  { field: 'sourceVersion', label: 'Source version', guess: /^sourceversion$/ },
  { field: 'release', label: 'Release', guess: /^(release|osrelease|codename)$/, hint: 'bookworm, 22.04 …; one per host' },
];
const loose = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const storageKey = (header: string[]) => `patchloop.inventoryCsvMapping.${header.join('\u001f')}`;

/** A saved mapping for files with this header, else a guess from the header names. */
function initialMapping(header: string[]): InventoryCsvImport['mapping'] {
  try {
    const saved = window.localStorage.getItem(storageKey(header));
    if (saved) return JSON.parse(saved);
  } catch {
    // storage disabled or a broken entry: guess instead
  }
  const out: InventoryCsvImport['mapping'] = {};
  const used = new Set<string>();
  for (const f of FIELDS) {
    const h = header.find((x) => !used.has(x) && f.guess.test(loose(x)));
    if (h) {
      out[f.field] = h;
      used.add(h);
    }
  }
  return out;
}

/** The header row, split on the delimiter the server will detect (the most frequent of , ; tab | outside quotes). */
function headerOf(text: string): string[] {
  const s = text.replace(/^\uFEFF/, '');
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  let end = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      end = i;
      break;
    } else if (!quoted && c in counts) counts[c] = (counts[c] ?? 0) + 1;
  }
  const delimiter = Object.entries(counts).reduce((best, e) => (e[1] > best[1] ? e : best), [',', 0] as [string, number])[0];
  const cells: string[] = [];
  let cell = '';
  quoted = false;
  for (let i = 0; i < end; i++) {
    const c = s[i];
    if (quoted && c === '"' && s[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (!quoted && c === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

interface Problem {
  row: string;
  column: string;
  message: string;
}
/** "row 3, column Version" → {row: 3, column: Version}; "body.mapping.host" → {column: mapping of Host}. */
function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof ApiError)) return [];
  return (error.problem.errors ?? []).map((e) => {
    const m = /^(?:row (\d+)|(line \d+|file|asset .*))(?:, column (.+))?$/.exec(e.field);
    if (m) return { row: m[1] ?? m[2] ?? '', column: m[3] ?? '', message: e.message };
    const map = /^body\.mapping\.(\w+)$/.exec(e.field);
    const label = FIELDS.find((f) => f.field === map?.[1])?.label;
    return { row: '', column: label ? `mapping of ${label}` : e.field.replace(/^body\./, ''), message: e.message };
  });
}

type Stage = { kind: 'idle' } | { kind: 'busy'; what: string } | { kind: 'checked'; result: InventoryCsvResult } | { kind: 'rejected'; error: unknown } | { kind: 'done'; result: InventoryCsvResult };

export function InventoryImportPage() {
  useTitle('Import inventory');
  const session = useSession();
  const [file, setFile] = useState<{ name: string; text: string; header: string[] } | null>(null);
  const [mapping, setMapping] = useState<InventoryCsvImport['mapping']>({});
  const [opts, setOpts] = useState<{ hostMatch: NonNullable<InventoryCsvImport['hostMatch']>; mode: NonNullable<InventoryCsvImport['mode']>; release: string; ecosystem: string }>({ hostMatch: 'auto', mode: 'replace', release: '', ecosystem: '' });
  const [stage, setStage] = useState<Stage>({ kind: 'idle' });

  if (!session.can('asset:import')) {
    return (
      <section>
        <h1>Import inventory from CSV</h1>
        <p>Importing the software of many assets at once needs the asset:import permission (administrators and security analysts).</p>
      </section>
    );
  }

  const take = async (files: FileList | null) => {
    const f = files?.[0];
    if (!f) return;
    const text = await f.text();
    const header = headerOf(text);
    setFile({ name: f.name, text, header });
    setMapping(initialMapping(header));
    setStage({ kind: 'idle' });
  };
  const body = (): InventoryCsvImport => ({
    csv: file?.text ?? '',
    mapping: Object.fromEntries(Object.entries(mapping).filter(([, v]) => v)),
    hostMatch: opts.hostMatch,
    mode: opts.mode,
    ...(opts.release ? { release: opts.release } : {}),
    ...(opts.ecosystem ? { ecosystem: opts.ecosystem } : {}),
  });
  const send = async (dryRun: boolean) => {
    setStage({ kind: 'busy', what: dryRun ? 'Checking every row…' : 'Importing…' });
    try {
      const result = await api.importInventoryCsv(body(), dryRun);
      if (file) window.localStorage.setItem(storageKey(file.header), JSON.stringify(mapping));
      setStage(dryRun ? { kind: 'checked', result } : { kind: 'done', result });
    } catch (error) {
      setStage({ kind: 'rejected', error });
    }
  };
  // Any change to the mapping or the options needs a new check before importing.
  const change = (fn: () => void) => {
    fn();
    if (stage.kind !== 'busy') setStage({ kind: 'idle' });
  };
  const problems = stage.kind === 'rejected' ? problemsOf(stage.error) : [];

  return (
    <section>
      <h1>Import inventory from CSV</h1>
      <p>
        One file with the installed packages of many hosts — a CMDB export or a spreadsheet: a row per package with the host, the package name and its version. Hosts
        are matched to active assets by asset id, FQDN, host name or IP address. For each asset the file replaces its packages of the ecosystems it lists for it and keeps
        the others (as an SBOM upload does), or, in merge mode, only adds and updates. Every row is checked first; if any has a problem, nothing is imported.
      </p>
      <form className="inline-form" aria-label="Inventory CSV" onSubmit={(e) => e.preventDefault()}>
        <Field label="CSV file">{(p) => <input {...p} type="file" accept=".csv,.tsv,.txt,text/csv" onChange={(e) => take(e.target.files)} />}</Field>
      </form>

      {file && (
        <form
          aria-label="Column mapping"
          onSubmit={(e) => {
            e.preventDefault();
            send(true);
          }}
        >
          <h2>Which column holds what</h2>
          <p className="muted">
            {file.name}: {file.header.length} columns. Host, package name and version are needed (or a package URL column instead of name and version).
          </p>
          <div className="form-grid">
            {FIELDS.map((f) => (
              <Field key={f.field} label={f.label} hint={f.hint}>
                {(p) => (
                  <select {...p} value={mapping[f.field] ?? ''} onChange={(e) => change(() => setMapping({ ...mapping, [f.field]: e.target.value }))}>
                    <option value="">— not in the file —</option>
                    {file.header.map((h, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional and may repeat
                      <option key={i} value={h}>
                        {h}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            ))}
            <Field label="Match hosts by">
              {(p) => (
                <select {...p} value={opts.hostMatch} onChange={(e) => change(() => setOpts({ ...opts, hostMatch: e.target.value as typeof opts.hostMatch }))}>
                  <option value="auto">Asset id, FQDN, host name or IP address</option>
                  <option value="id">Asset id only</option>
                  <option value="fqdn">FQDN only</option>
                  <option value="hostname">Host name only</option>
                  <option value="ip">IP address only</option>
                </select>
              )}
            </Field>
            <Field label="Mode">
              {(p) => (
                <select {...p} value={opts.mode} onChange={(e) => change(() => setOpts({ ...opts, mode: e.target.value as typeof opts.mode }))}>
                  <option value="replace">Replace the ecosystems the file lists</option>
                  <option value="merge">Merge: only add and update</option>
                </select>
              )}
            </Field>
            <Field label="Default ecosystem" hint="for rows without one; else the asset's OS package manager">
              {(p) => (
                <select {...p} value={opts.ecosystem} onChange={(e) => change(() => setOpts({ ...opts, ecosystem: e.target.value }))}>
                  <option value="">The asset's</option>
                  {['deb', 'rpm', 'apk', 'npm', 'pypi', 'maven', 'go'].map((e) => (
                    <option key={e} value={e}>
                      {e}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Release of new inventories" hint="for assets with no inventory yet: bookworm, 22.04, 9.4 …">
              {(p) => <input {...p} value={opts.release} onChange={(e) => change(() => setOpts({ ...opts, release: e.target.value.trim() }))} />}
            </Field>
          </div>
          <div className="actions">
            <button type="submit" className={stage.kind === 'checked' ? '' : 'primary'} disabled={stage.kind === 'busy'}>
              Check the file
            </button>
          </div>
        </form>
      )}

      <div aria-live="polite">
        {stage.kind === 'busy' && <p className="muted">{stage.what}</p>}
        {stage.kind === 'checked' && (
          <div className="card ok-card">
            <h2>Check passed: nothing has been imported yet</h2>
            <Outcome result={stage.result} />
            <div className="actions">
              <button type="button" className="primary" onClick={() => send(false)}>
                Import {stage.result.assets.length} {stage.result.assets.length === 1 ? 'asset' : 'assets'}
              </button>
            </div>
          </div>
        )}
        {stage.kind === 'done' && (
          <div className="card ok-card" role="status">
            <h2>Import complete</h2>
            <Outcome result={stage.result} />
          </div>
        )}
      </div>
      {stage.kind === 'rejected' && (
        <div className="card">
          <h2>The file was rejected: nothing was imported</h2>
          <ErrorBanner error={stage.error} shownFields={problems.length ? (stage.error as ApiError).problem.errors?.map((e) => e.field.replace(/^body\./, '')) : []} />
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
          <p>Fix the file or the mapping and check again.</p>
        </div>
      )}
    </section>
  );
}

function Outcome({ result }: { result: InventoryCsvResult }) {
  const done = !result.dryRun;
  const changed = result.assets.filter((a) => !a.unchanged).length;
  return (
    <>
      <p>
        {result.rows} rows read; {changed} of {result.assets.length} assets {done ? 'changed' : 'will change'}
        {result.skippedCount > 0 && `; ${result.skippedCount} rows skipped`}.
      </p>
      <div className="table-wrap">
        <table className="data">
          <caption>{done ? 'What the import changed' : 'What the import will change'}</caption>
          <thead>
            <tr>
              <th scope="col">Asset</th>
              <th scope="col">Rows</th>
              <th scope="col">Packages after</th>
              <th scope="col">Added</th>
              <th scope="col">Removed</th>
              {done && <th scope="col">Findings</th>}
            </tr>
          </thead>
          <tbody>
            {result.assets.map((a) => (
              <tr key={a.assetId}>
                <td>
                  <Link to={`/assets/${a.assetId}`}>{a.hostname}</Link>
                </td>
                <td className="num">{a.listed}</td>
                <td className="num">{a.packages}</td>
                <td className="num">{a.added}</td>
                <td className="num">{a.removed}</td>
                {done && <td>{a.findings ? `${a.findings.opened} opened, ${a.findings.resolved} resolved` : a.unchanged ? 'unchanged' : '—'}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {result.skipped.length > 0 && (
        <ul aria-label="Skipped rows">
          {result.skipped.map((s) => (
            <li key={s.row}>
              Row {s.row}: {s.reason}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
