import { parse } from 'csv-parse/sync';
import type { FieldProblem } from '../../lib/errors.js';
import { type Ecosystem, resolveEcosystem, validateVersion } from '../versions/index.js';
import { packageFromPurl, SbomError } from './cyclonedx.js';
import { type Inventory, type InventoryPackage, inventoryPackageSchema, inventorySchema, MAX_INVENTORY_PACKAGES } from './inventory.js';

/**
 * The CMDB/CSV inventory import (INV-3), pure: a CSV of installed packages for
 * many hosts, read through a column mapping the user gives ("host" is in
 * column "CI Name"), hosts matched to assets, and each asset's new inventory
 * planned. Nothing here touches the database: the service loads the assets
 * and their current inventories, and writes the plans.
 *
 * Like the SBOM import (inventory-files.ts), a file replaces each asset's
 * packages of the ecosystems it lists for that asset and keeps the others
 * (mode "replace"); mode "merge" only adds or updates the listed packages.
 */
export const MAPPING_FIELDS = ['host', 'name', 'version', 'arch', 'ecosystem', 'purl', 'sourceName', 'sourceVersion', 'release'] as const;
export type MappingField = (typeof MAPPING_FIELDS)[number];
export type ColumnMapping = Partial<Record<MappingField, string>>;
export const HOST_MATCHES = ['auto', 'id', 'fqdn', 'hostname', 'ip'] as const;
export type HostMatch = (typeof HOST_MATCHES)[number];
export const IMPORT_MODES = ['replace', 'merge'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export const MAX_CSV_ROWS = 100_000;
const MAX_CELL_BYTES = 64 * 1024;

/** The file itself is unreadable (not CSV, empty, too many rows): `where` is "line N" or "file". */
export class CsvFileError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'CsvFileError';
  }
}

export interface CsvTable {
  header: string[];
  /** Data rows; row numbers count the header as row 1, as a spreadsheet shows them. */
  rows: { row: number; cells: string[] }[];
  delimiter: string;
}

/** The delimiter of a CMDB export: whichever of , ; tab | the header line (outside quotes) has most of. */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>([[',', 0], [';', 0], ['\t', 0], ['|', 0]]);
  let quoted = false;
  for (const c of text.slice(0, 64 * 1024)) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && counts.has(c)) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > (counts.get(best) ?? 0)) best = d;
  return best;
}

export function readCsv(text: string, maxRows = MAX_CSV_ROWS): CsvTable {
  const delimiter = detectDelimiter(text.replace(/^\uFEFF/, ''));
  let records: string[][];
  try {
    records = parse(text, { bom: true, delimiter, skip_empty_lines: true, relax_column_count: false, max_record_size: MAX_CELL_BYTES, to: maxRows + 2 });
  } catch (err) {
    const e = err as { code?: string; lines?: number; message: string };
    // csv-parse names the line where it gave up (the end of the file); the user needs the line the quote opened on.
    const opened = e.code === 'CSV_QUOTE_NOT_CLOSED' ? unclosedQuoteLine(text, delimiter) : null;
    if (opened) throw new CsvFileError(`line ${opened}`, `is not valid CSV: the quoted cell opened on line ${opened} is never closed (Quote Not Closed)`);
    throw new CsvFileError(e.lines ? `line ${e.lines}` : 'file', `is not valid CSV: ${e.message}`);
  }
  if (records.length === 0) throw new CsvFileError('file', 'is empty: expected a header row and at least one package row');
  const [header, ...data] = records as [string[], ...string[][]];
  if (data.length > maxRows) throw new CsvFileError('file', `has more than ${maxRows} rows; split it into files of at most ${maxRows} rows`);
  // A spreadsheet writes its empty rows as ",,,": they keep their number but hold nothing to import.
  const rows = data.map((cells, i) => ({ row: i + 2, cells })).filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (rows.length === 0) throw new CsvFileError('file', 'has a header but no package rows');
  return { header: header.map((h) => h.trim()), rows, delimiter };
}

function unclosedQuoteLine(text: string, delimiter: string): number | null {
  let line = 1;
  let openedAt: number | null = null;
  let atCellStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (openedAt !== null) {
      if (c === '"' && text[i + 1] === '"') i++;
      else if (c === '"') openedAt = null;
      else if (c === '\n') line++;
      continue;
    }
    if (c === '"' && atCellStart) openedAt = line;
    if (c === '\n') line++;
    atCellStart = c === delimiter || c === '\n' || c === '\r';
  }
  return openedAt;
}

const loose = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Column numbers (0-based) of the mapped fields; a mapping naming no column of the header is a problem naming that field. */
export function resolveMapping(header: string[], mapping: ColumnMapping, opts: { hostRequired: boolean }): { columns: Partial<Record<MappingField, number>>; problems: FieldProblem[] } {
  const columns: Partial<Record<MappingField, number>> = {};
  const problems: FieldProblem[] = [];
  const list = header.map((h) => JSON.stringify(h)).join(', ');
  for (const field of MAPPING_FIELDS) {
    const wanted = mapping[field]?.trim();
    if (!wanted) continue;
    let hits = header.flatMap((h, i) => (h === wanted ? [i] : []));
    if (hits.length === 0) hits = header.flatMap((h, i) => (loose(h) === loose(wanted) && loose(h) !== '' ? [i] : []));
    if (hits.length === 0) problems.push({ field: `body.mapping.${field}`, message: `no column ${JSON.stringify(wanted)} in the header; the columns are ${list}` });
    else if (hits.length > 1) problems.push({ field: `body.mapping.${field}`, message: `column ${JSON.stringify(wanted)} appears ${hits.length} times in the header (columns ${hits.map((i) => i + 1).join(', ')})` });
    else columns[field] = hits[0];
  }
  if (opts.hostRequired && !mapping.host?.trim()) problems.push({ field: 'body.mapping.host', message: 'is required: the column that names the host (or give assetId for a file of one asset)' });
  if (!mapping.purl?.trim()) {
    for (const f of ['name', 'version'] as const) if (!mapping[f]?.trim()) problems.push({ field: `body.mapping.${f}`, message: 'is required unless a purl column is mapped' });
  }
  return { columns, problems };
}

export interface AssetRef {
  id: string;
  hostname: string;
  fqdn: string | null;
  ipAddresses: string[];
  lifecycle: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds the asset a host cell names. "auto" tries the asset id, then the FQDN, then the host name, then an IP
 * address; active assets win over decommissioned ones; a value that fits several active assets is ambiguous.
 */
export function hostFinder(assets: readonly AssetRef[]): (value: string, how: HostMatch) => AssetRef | string {
  const by = { id: new Map<string, AssetRef[]>(), fqdn: new Map<string, AssetRef[]>(), hostname: new Map<string, AssetRef[]>(), ip: new Map<string, AssetRef[]>() };
  const add = (m: Map<string, AssetRef[]>, k: string, a: AssetRef) => m.set(k, [...(m.get(k) ?? []), a]);
  for (const a of assets) {
    add(by.id, a.id.toLowerCase(), a);
    if (a.fqdn) add(by.fqdn, a.fqdn.toLowerCase(), a);
    add(by.hostname, a.hostname.toLowerCase(), a);
    for (const ip of a.ipAddresses) add(by.ip, ip.toLowerCase(), a);
  }
  const names: Record<Exclude<HostMatch, 'auto'>, string> = { id: 'asset id', fqdn: 'FQDN', hostname: 'host name', ip: 'IP address' };
  return (value, how) => {
    const k = value.trim().toLowerCase();
    const order: Exclude<HostMatch, 'auto'>[] = how === 'auto' ? (UUID_RE.test(k) ? ['id'] : ['fqdn', 'hostname', 'ip']) : [how];
    for (const kind of order) {
      const found = by[kind].get(k) ?? [];
      const active = found.filter((a) => a.lifecycle === 'active');
      if (active.length === 1) return active[0] as AssetRef;
      if (active.length > 1) return `${JSON.stringify(value)} is the ${names[kind]} of ${active.length} active assets (${active.map((a) => a.fqdn ?? a.hostname).join(', ')}); name the host by FQDN or asset id`;
      if (found.length) return `asset ${JSON.stringify(found[0]?.hostname)} is decommissioned (INV-4): reactivate it to change its inventory`;
    }
    return `no active asset has the ${order.map((o) => names[o]).join(', ').replace(/, ([^,]*)$/, ' or $1')} ${JSON.stringify(value)}`;
  };
}

/** The operating system's package manager of a current inventory: the distribution ecosystem most packages belong to. */
export function hostEcosystem(pkgs: readonly { ecosystem: string }[]): Ecosystem {
  const n = new Map<Ecosystem, number>();
  for (const p of pkgs) if (p.ecosystem === 'deb' || p.ecosystem === 'rpm' || p.ecosystem === 'apk') n.set(p.ecosystem, (n.get(p.ecosystem) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'deb';
}

export interface CurrentInventory {
  release: string | null;
  distro: string | null;
  packages: { ecosystem: string; name: string; version: string; arch: string; sourceName: string; sourceVersion: string }[];
}

export interface PlanOptions {
  columns: Partial<Record<MappingField, number>>;
  hostMatch: HostMatch;
  mode: ImportMode;
  /** Ecosystem of rows that name none (no ecosystem column or an empty cell); default: the asset's OS package manager. */
  ecosystem?: Ecosystem;
  /** Release for assets that have no inventory yet and no release column. */
  release?: string;
  distro?: string;
  source: string;
  /** All rows belong to this asset (an asset-level CSV): no host column needed. */
  asset?: AssetRef;
}

export interface AssetPlan {
  asset: AssetRef;
  /** CSV row of each package of `inventory`; 0 for packages kept from the current inventory. */
  rowOf: number[];
  rows: number;
  inventory: Inventory;
  added: number;
  removed: number;
  unchanged: boolean;
}

export interface ImportPlan {
  plans: AssetPlan[];
  skipped: { row: number; reason: string }[];
  problems: FieldProblem[];
}

const MAX_PROBLEMS = 1000;
const OS_ECOSYSTEMS: readonly string[] = ['deb', 'rpm', 'apk'];

interface Group {
  asset: AssetRef;
  firstRow: number;
  release?: { value: string; row: number };
  pkgs: Map<string, { pkg: InventoryPackage & { ecosystem: Ecosystem }; row: number }>;
  covered: Set<string>;
}

/** Every row checked against the mapping and the assets; problems name "row N, column <header>". */
export function planImport(table: CsvTable, find: (value: string, how: HostMatch) => AssetRef | string, currents: ReadonlyMap<string, CurrentInventory>, opts: PlanOptions): ImportPlan {
  const { columns } = opts;
  const problems: FieldProblem[] = [];
  const skipped: ImportPlan['skipped'] = [];
  const groups = new Map<string, Group>();
  const colName = (f: MappingField) => {
    const i = columns[f];
    return i === undefined ? f : table.header[i] || `column ${i + 1}`;
  };
  const osCache = new Map<string, Ecosystem>();
  const osOf = (asset: AssetRef): Ecosystem => {
    let os = osCache.get(asset.id);
    if (!os) {
      const cur = currents.get(asset.id);
      os = cur?.packages.length ? hostEcosystem(cur.packages) : opts.ecosystem && OS_ECOSYSTEMS.includes(opts.ecosystem) ? opts.ecosystem : 'deb';
      osCache.set(asset.id, os);
    }
    return os;
  };

  for (const { row, cells } of table.rows) {
    if (problems.length >= MAX_PROBLEMS) break;
    const cell = (f: MappingField) => {
      const i = columns[f];
      return i === undefined ? '' : (cells[i] ?? '').trim();
    };
    const problem = (f: MappingField, message: string) => problems.push({ field: `row ${row}, column ${colName(f)}`, message });
    const before = problems.length;

    let asset: AssetRef | undefined = opts.asset;
    if (!asset) {
      const host = cell('host');
      const hit = host ? find(host, opts.hostMatch) : 'is empty';
      if (typeof hit === 'string') problem('host', hit);
      else asset = hit;
    }

    let pkg: (InventoryPackage & { ecosystem: Ecosystem }) | undefined;
    let nameField: MappingField = 'name';
    let versionField: MappingField = 'version';
    const purl = cell('purl');
    if (purl) {
      nameField = 'purl';
      if (!cell('version')) versionField = 'purl';
      try {
        const r = packageFromPurl(purl, 'purl', cell('version') || undefined);
        if ('skip' in r) {
          if (problems.length === before) skipped.push({ row, reason: r.skip });
          continue;
        }
        pkg = r.pkg;
      } catch (err) {
        if (!(err instanceof SbomError)) throw err;
        problem('purl', err.message.replace(/^purl: /, ''));
      }
    } else {
      const name = cell('name');
      const version = cell('version');
      if (!name) problem('name', columns.name === undefined ? 'no package name: the purl cell is empty too' : 'is empty');
      if (!version) problem('version', 'is empty');
      let ecosystem: Ecosystem | undefined;
      const eco = cell('ecosystem');
      if (eco) {
        try {
          ecosystem = resolveEcosystem(eco);
        } catch (err) {
          problem('ecosystem', (err as Error).message);
        }
      } else ecosystem = opts.ecosystem ?? (asset ? osOf(asset) : 'deb');
      if (name && version && ecosystem) pkg = { ecosystem, name, version, arch: cell('arch') };
    }
    if (!pkg) continue;
    if (cell('sourceName')) pkg.sourceName = cell('sourceName');
    if (cell('sourceVersion')) pkg.sourceVersion = cell('sourceVersion');

    const parsed = inventoryPackageSchema.safeParse(pkg);
    if (!parsed.success) {
      const fieldOf: Record<string, MappingField> = { name: nameField, version: versionField, arch: columns.arch !== undefined ? 'arch' : nameField, sourceName: 'sourceName', sourceVersion: 'sourceVersion', purl: 'purl' };
      for (const i of parsed.error.issues) problem(fieldOf[String(i.path[0])] ?? nameField, i.message);
      continue;
    }
    for (const [f, v] of [[versionField, pkg.version], ['sourceVersion', pkg.sourceVersion]] as const) {
      if (v === undefined) continue;
      try {
        validateVersion(pkg.ecosystem, v);
      } catch (err) {
        problem(f, `${(err as Error).message} (a ${pkg.ecosystem} version)`);
      }
    }
    const release = cell('release');
    if (release && !inventorySchema.shape.release.safeParse(release).success) problem('release', 'must be a release codename like bookworm or a version like 22.04');
    if (!asset || problems.length > before) continue;

    let g = groups.get(asset.id);
    if (!g) {
      g = { asset, firstRow: row, pkgs: new Map(), covered: new Set() };
      groups.set(asset.id, g);
    }
    if (release) {
      if (g.release && g.release.value !== release) problem('release', `is ${JSON.stringify(release)} but row ${g.release.row} gives ${JSON.stringify(g.release.value)} for the same host`);
      g.release ??= { value: release, row };
    }
    const key = `${pkg.ecosystem}\t${pkg.name}\t${pkg.arch}`;
    const earlier = g.pkgs.get(key);
    if (earlier && earlier.pkg.version !== pkg.version) {
      problem(versionField, `${pkg.name}${pkg.arch ? `:${pkg.arch}` : ''} is listed for this host on row ${earlier.row} with version ${earlier.pkg.version}; an inventory holds one version of a package`);
      continue;
    }
    if (!earlier) g.pkgs.set(key, { pkg: parsed.data as InventoryPackage & { ecosystem: Ecosystem }, row });
    g.covered.add(pkg.ecosystem);
  }
  if (problems.length) return { plans: [], skipped, problems };

  const plans: AssetPlan[] = [];
  for (const g of groups.values()) {
    const cur = currents.get(g.asset.id);
    const where = `row ${g.firstRow}, column ${opts.asset ? 'file' : colName('host')}`;
    const release = g.release?.value ?? cur?.release ?? opts.release;
    if (!release) {
      problems.push({ field: where, message: `asset ${JSON.stringify(g.asset.hostname)} has no inventory yet: give its release (the release option or a release column)` });
      continue;
    }
    const listed = [...g.pkgs.values()];
    const listedKeys = new Set(g.pkgs.keys());
    // In a merge, a row without an architecture (most CMDBs keep none) stands for the package of any architecture.
    const isListed = (p: { ecosystem: string; name: string; arch: string }) => listedKeys.has(`${p.ecosystem}\t${p.name}\t${p.arch}`) || listedKeys.has(`${p.ecosystem}\t${p.name}\t`);
    const kept = (cur?.packages ?? []).filter((p) => (opts.mode === 'replace' ? !g.covered.has(p.ecosystem) : !isListed(p)));
    if (kept.length + listed.length > MAX_INVENTORY_PACKAGES) {
      problems.push({ field: where, message: `asset ${JSON.stringify(g.asset.hostname)} would have ${kept.length + listed.length} packages; an inventory holds at most ${MAX_INVENTORY_PACKAGES}` });
      continue;
    }
    // The inventory's own ecosystem follows from what it will hold, so importing the same file twice gives the same digest.
    const os = hostEcosystem([...kept, ...listed.map((l) => l.pkg)]);
    const own = (e: string) => (e === os ? {} : { ecosystem: e as Ecosystem });
    const packages: InventoryPackage[] = [
      ...kept.map((p) => ({ name: p.name, version: p.version, arch: p.arch, sourceName: p.sourceName, sourceVersion: p.sourceVersion, ...own(p.ecosystem) })),
      ...listed.map(({ pkg: { ecosystem, ...p } }) => ({ ...p, ...own(ecosystem) })),
    ];
    const inventory: Inventory = { ecosystem: os, distro: cur?.distro ?? opts.distro ?? 'debian', release, source: opts.source, packages };
    const keyOf = (p: { ecosystem?: string; name: string; version: string; arch: string; sourceName?: string; sourceVersion?: string }) =>
      `${p.ecosystem ?? os}\t${p.name}\t${p.arch}\t${p.version}\t${p.sourceName ?? p.name}\t${p.sourceVersion ?? p.version}`;
    const had = new Set((cur?.packages ?? []).map(keyOf));
    const will = new Set(packages.map(keyOf));
    const added = [...will].filter((k) => !had.has(k)).length;
    const removed = [...had].filter((k) => !will.has(k)).length;
    plans.push({
      asset: g.asset,
      rowOf: [...kept.map(() => 0), ...listed.map((l) => l.row)],
      rows: listed.length,
      inventory,
      added,
      removed,
      unchanged: !!cur && added === 0 && removed === 0 && cur.release === release,
    });
  }
  plans.sort((a, b) => (a.asset.id < b.asset.id ? -1 : a.asset.id > b.asset.id ? 1 : 0));
  return { plans: problems.length ? [] : plans, skipped, problems };
}
