/**
 * Typed client for the patchloop REST API. Types come from the server's
 * domain schemas; this file only adds transport: the session cookie goes by
 * itself, writes carry X-CSRF-Token, and errors become ApiError with the
 * RFC 9457 problem body.
 */
import type { z } from 'zod';
import type { Asset, AssetCreate, AssetUpdate, assetListQuerySchema } from '../../src/domain/assets/asset.js';
import type { ApiToken, Team, TeamCreate, TeamUpdate, TokenCreate, User, UserCreate, UserUpdate } from '../../src/domain/auth/accounts.js';
import type { Permission, Role } from '../../src/domain/auth/roles.js';
import type { AuditRecord } from '../../src/domain/audit/chain.js';
import type { Problem } from '../../src/http/problem.js';
import type { SlaSummary } from '../../src/domain/priority/summary.js';
import type { SshCollect, SshTarget, sshTargetInputSchema } from '../../src/domain/ssh/target.js';
import type { Agent, EnrolmentToken, HostFactsReport, enrolmentTokenCreateSchema } from '../../src/domain/agents/protocol.js';

export type { ApiToken, Asset, AssetCreate, AssetUpdate, AuditRecord, Permission, Problem, Role, Team, TeamCreate, TeamUpdate, TokenCreate, User, UserCreate, UserUpdate };

/** Query of GET /api/assets as the client sends it (all optional, strings on the wire). */
export type AssetQuery = Partial<Record<Exclude<keyof z.input<typeof assetListQuerySchema>, 'unowned'>, string>> & { unowned?: 'true' | 'false' };

export interface AuthStatus {
  needsSetup: boolean;
  signedIn: boolean;
  oidc: { enabled: boolean; label: string };
}

export interface Me {
  user: User | null;
  principal: { kind: 'user' | 'token' | 'system'; name: string; role: string; permissions: Permission[] };
  csrfToken: string | null;
}

export interface AssetPage {
  items: Asset[];
  nextCursor: string | null;
  total: number;
}

export interface ImportSummary {
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  decommissioned: number;
}

export interface AuditQuery {
  actor?: string;
  entityType?: string;
  entityId?: string;
  action?: string;
  from?: string;
  to?: string;
  beforeSeq?: string;
  limit?: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  lastSeq: number;
  lastHash: string;
  problem?: { kind: 'altered' | 'removed' | 'reordered' | 'truncated'; seq: number; message: string };
}

export interface SystemInfo {
  version: string;
  database: 'embedded' | 'postgres';
  roles: { id: Role; label: string; permissions: Permission[] }[];
}

// --- vulnerability register and findings (issue #3)

export interface Kev {
  dateAdded: string;
  dueDate: string | null;
  ransomware: boolean | null;
}

export interface VulnCounts {
  assets: number;
  packages: number;
  openFindings: number;
}

export interface VulnerabilitySummary {
  id: string;
  aliases: string[];
  description: string | null;
  cvss: { score: number | null; version: string | null; severity: string | null };
  epss: { score: number; percentile: number | null } | null;
  kev: Kev | null;
  counts: VulnCounts;
}

export interface VulnerabilityDetail {
  id: string;
  aliases: string[];
  title: string | null;
  description: string | null;
  publishedAt: string | null;
  modifiedAt: string | null;
  cvss: {
    score: number | null;
    version: string | null;
    severity: string | null;
    entries: { source: string | null; version: string | null; vector: string | null; score: number | null; severity: string | null; computed: { score: number; severity: string; version: string } | null; error: string | null }[];
  };
  epss: { score: number; percentile: number | null; date: string | null } | null;
  kev: (Kev & { name: string | null; requiredAction: string | null }) | null;
  references: { url: string; source: string | null; tags: string[] }[];
  advisories: { id: number; feed: string; ref: string | null; ecosystem: string; release: string; package: string; state: string; fixedVersion: string | null; urgency: string | null }[];
  counts: VulnCounts;
  affected: {
    asset: { id: string; hostname: string; environment: string; criticality: string };
    packages: { findingId: string; package: string; arch: string; installedVersion: string; sourcePackage: string | null; fixedVersion: string | null; firstSeen: string }[];
  }[];
  affectedTruncated: boolean;
}

export interface VulnQuery {
  scope?: 'affected' | 'all';
  q?: string;
  kev?: 'true' | 'false';
  severity?: string;
  minCvss?: string;
  minEpss?: string;
  sort?: string;
  order?: 'asc' | 'desc';
  limit?: string;
  cursor?: string;
}

export interface Finding {
  id: string;
  asset: {
    id: string;
    hostname: string;
    environment: string;
    systemType: string;
    department: string | null;
    businessCriticality: string;
    networkExposure: string;
    owner: { type: 'user' | 'team'; id: string; name: string } | null;
    lifecycle: string;
  };
  vulnerabilityId: string;
  title: string | null;
  /** The vulnerability's severity, or the strongest one its evidence states (severitySource says which). */
  severity: 'critical' | 'high' | 'medium' | 'low' | 'none' | null;
  severitySource: 'vulnerability' | 'evidence' | null;
  cvssScore: number | null;
  epss: { score: number; percentile: number | null } | null;
  kev: Kev | null;
  ecosystem: string | null;
  package: string | null;
  arch: string | null;
  installedVersion: string | null;
  sourcePackage: string | null;
  sourceVersion: string | null;
  fixedVersion: string | null;
  rule: string;
  source: string;
  sources: string[];
  status: string;
  advisory: { id: number; feed: string; release: string; package: string; urgency: string | null } | null;
  /** Prioritisation (issue #6): null until the first evaluation; GET /api/findings/{id}/priority explains it. */
  priority: 'critical' | 'high' | 'medium' | 'low' | 'informational' | null;
  priorityScore: number | null;
  priorityDecision: string | null;
  emergency: boolean;
  dueAt: string | null;
  slaState: 'on_track' | 'due_soon' | 'overdue' | 'excepted' | 'no_deadline' | null;
  policyVersion: number | null;
  exceptionId: string | null;
  extendedDueAt: string | null;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
}

export interface FindingEvidence {
  id: string;
  source: string;
  sourceKey: string;
  firstSeen: string;
  lastSeen: string;
  goneAt: string | null;
  firstImportId: string | null;
  lastImportId: string | null;
  goneImportId: string | null;
  title: string | null;
  severity: string | null;
  cvssScore: number | null;
  cvssVector: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  location: string | null;
  output: string | null;
}

export interface FindingHistoryEntry {
  at: string;
  kind: 'detected' | 'status' | 'evidence_seen' | 'evidence_gone' | 'validated' | 'validation_lifted';
  from: string | null;
  to: string;
  reason: string;
  installedVersion: string | null;
  runId: string | null;
  source: string | null;
  actor: string | null;
}

export interface FindingDetail extends Finding {
  evidence: FindingEvidence[];
  imports: { id: string; format: string; scanner: string; fileName: string | null; importedAt: string }[];
  validation: { id: string; status: string; justification: string | null; reason: string; reviewer: { id: string | null; name: string }; at: string } | null;
  history: FindingHistoryEntry[];
}

/** GET /api/findings (and the groups and export) as the client sends it: strings on the wire, several values comma-separated. */
export interface FindingQuery {
  status?: string;
  severity?: string;
  kev?: 'true' | 'false';
  epssMin?: string;
  kevDueBefore?: string;
  source?: string;
  department?: string;
  systemType?: string;
  environment?: string;
  owner?: string;
  networkExposure?: string;
  businessCriticality?: string;
  assetId?: string;
  vulnerabilityId?: string;
  package?: string;
  q?: string;
  ids?: string;
  priority?: string;
  slaState?: string;
  emergency?: 'true' | 'false';
  dueBefore?: string;
  mine?: 'true';
  exceptionId?: string;
  sort?: string;
  order?: 'asc' | 'desc';
  limit?: string;
  cursor?: string;
}

export interface FindingGroup {
  key: string;
  label: string;
  total: number;
  open: number;
  assets: number;
  worstSeverity: string | null;
  vulnerability: { id: string; title: string | null; cvssScore: number | null; epssScore: number | null; kev: { dateAdded: string; dueDate: string | null } | null } | null;
  asset: { id: string; hostname: string; environment: string; businessCriticality: string; networkExposure: string } | null;
  package: { name: string | null; ecosystems: string[] } | null;
}

export interface FindingView {
  id: string;
  name: string;
  /** The list's query string (status=open&severity=critical). */
  query: string;
  shared: boolean;
  owner: { id: string; name: string } | null;
  mine: boolean;
  createdAt: string;
}

export interface Inventory {
  distro: string | null;
  release: string | null;
  source: string;
  collectedAt: string;
  openFindings: number;
  packages: { ecosystem: string; name: string; version: string; arch: string; sourceName: string; sourceVersion: string }[];
}

export interface SoftwareHistoryEntry {
  at: string;
  by: string;
  source: string | null;
  packages: number | null;
  first: boolean;
  release: { from: string | null; to: string | null };
  changes: { package: string; from: string | null; to: string | null }[];
}

export interface InventoryFileResult {
  packages: number;
  added: number;
  removed: number;
  unchanged: boolean;
  skipped: number;
  match: { opened: number; reopened: number; resolved: number } | null;
}

/** POST /api/inventory/import/csv (INV-3): the body and the answer. */
export interface InventoryCsvImport {
  csv: string;
  mapping: Partial<Record<'host' | 'name' | 'version' | 'arch' | 'ecosystem' | 'purl' | 'sourceName' | 'sourceVersion' | 'release', string>>;
  assetId?: string;
  hostMatch?: 'auto' | 'id' | 'fqdn' | 'hostname' | 'ip';
  mode?: 'replace' | 'merge';
  ecosystem?: string;
  release?: string;
}
export interface InventoryCsvResult {
  importId: string | null;
  dryRun: boolean;
  rows: number;
  skipped: { row: number; reason: string }[];
  skippedCount: number;
  assets: { assetId: string; hostname: string; packages: number; listed: number; added: number; removed: number; unchanged: boolean; findings: { opened: number; reopened: number; resolved: number; stillOpen: number } | null }[];
}

export interface MatchRun {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  phase: string | null;
  startedAt: string;
  finishedAt: string | null;
  stats: unknown;
  error: string | null;
}

// --- vulnerability intelligence feeds (GET /api/feeds, POST /api/feeds/{feed}/sync and /import)

/** One feed's state after its last import; a feed that was never imported has no entry. */
export interface FeedState {
  feed: string;
  source: string;
  version: string | null;
  fetchedAt: string;
  records: number;
  /** Records added, changed or removed by the last import. */
  changed: number;
  etag: string | null;
  lastModified: string | null;
}

/** What a sync or an import changed (FeedImportSummary in the OpenAPI document). */
export interface FeedImportSummary {
  feed: string;
  source: string;
  version: string | null;
  records: number;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  aliases: number;
  notModified?: boolean;
  /** NVD only: how the CVE API was paged and what the CVSS check found. */
  nvd?: { requests: number; pages: number; stale: number; rejected: number; cvssDisagreements: number; cvssInvalid: number; cvssNotes: string[] };
  rematch?: { assets: number; opened: number; reopened: number; resolved: number };
  changedPackages: { ecosystem: string; release: string; package: string }[];
  changedVulnerabilities: string[];
  changedVulnerabilitiesTruncated: boolean;
  changedVulnerabilitiesTotal: number;
}

// --- host agents (GET /api/agents, enrolment tokens, GET /api/assets/{id}/agent; issue #4)

export type { Agent, EnrolmentToken };
export type AgentHealth = Agent['health'];
/** POST /api/agents/enrolment-tokens as the client sends it (the server fills in what is left out). */
export type EnrolmentTokenCreate = z.input<typeof enrolmentTokenCreateSchema>;

export interface AgentQuery {
  status?: 'active' | 'revoked' | 'replaced' | 'all';
  health?: AgentHealth;
  q?: string;
  limit?: string;
}

export interface AgentList {
  items: Agent[];
  /** Agents by health under the status and search filters, whatever the health filter. */
  counts: Record<AgentHealth, number>;
}

/** What the host last reported about itself (kernel, uptime, …) and its agent; null where nothing was reported. */
export interface AssetAgent {
  facts: {
    machineId: string | null;
    kernel: string | null;
    uptimeSeconds: number | null;
    rebootRequired: boolean | null;
    os: HostFactsReport['os'] | null;
    addresses: string[];
    source: string;
    collectedAt: string;
  } | null;
  agent: Agent | null;
}

/**
 * Largest feed file the import accepts (the server's FEED_BODY_LIMIT, 512 MiB): larger files are
 * refused before they are sent. The server answers 413 on its own as well.
 */
export const FEED_UPLOAD_LIMIT = 512 * 1024 * 1024;

/** The content type for a feed file; the server detects gzip by content, so this is only a courtesy. */
function feedContentType(file: File): string {
  const name = file.name.toLowerCase();
  if (name.endsWith('.gz')) return 'application/gzip';
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.csv')) return 'text/csv';
  return file.type || 'application/octet-stream';
}

/**
 * The feed names the server accepts, read from its OpenAPI document (the `feed` path parameter of
 * importFeed), so that feeds never imported yet — absent from GET /api/feeds — can be synced too.
 * Null when the document does not say.
 */
function feedNamesOf(doc: unknown): string[] | null {
  const op = (doc as { paths?: Record<string, { post?: { parameters?: unknown } }> } | null)?.paths?.['/api/feeds/{feed}/import']?.post;
  const params = Array.isArray(op?.parameters) ? (op.parameters as { in?: unknown; name?: unknown; schema?: { enum?: unknown } }[]) : [];
  const names = params.find((p) => p.in === 'path' && p.name === 'feed')?.schema?.enum;
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : null;
}

// --- end of life (GET /api/assets/{id}/eol, /api/eol/assets, /api/eol/dataset)

export type EolState = import('../../src/domain/eol/cycles.js').EolState;
export type RiskClass = import('../../src/domain/eol/evaluate.js').RiskClass;
export type EolItem = import('../../src/domain/eol/evaluate.js').EolItem;
export type EolControl = import('../../src/domain/eol/controls.js').Control;
export type EolControlCreate = import('../../src/domain/eol/controls.js').ControlCreate;

export interface AssetEol {
  assetId: string;
  hostname: string;
  lifecycle: string;
  state: EolState;
  risk: RiskClass;
  riskReason: string;
  os: EolItem | null;
  software: EolItem[];
  unsupportedFrom: string | null;
  monitoring: { inventoryMaxAgeDays: number; raised: boolean };
  controls: EolControl[];
  needsControl: boolean;
  dataset: { source: string; version: string; loadedAt: string };
  evaluatedAt: string;
}

export interface EolAssetList {
  counts: { unsupported: number; eolSoon: number; supported: number; unknown: number; unsupportedWithoutControl: number; byRisk: Record<string, number> };
  total: number;
  items: {
    asset: { id: string; hostname: string; environment: string; businessCriticality: string; networkExposure: string; owner: string | null };
    state: EolState;
    risk: RiskClass;
    riskReason: string;
    os: string | null;
    products: { kind: 'os' | 'software'; product: string; cycle: string | null; state: EolState; eol: string | boolean | null; daysLeft: number | null }[];
    unsupportedFrom: string | null;
    activeControls: number;
    nextReview: string | null;
  }[];
}

export interface EolDatasetLoad {
  source: string;
  version: string;
  products: number;
  cycles: number;
  added: number;
  changed: number;
  removed: number;
  notModified?: boolean;
  assetsEvaluated: number;
}

export interface EolDatasetInfo {
  source: string;
  version: string;
  license: string | null;
  products: number;
  cycles: number;
  loadedAt: string;
  loadedBy: string;
  productList: { product: string; cycles: number; newest: string }[];
}

/** A failed request: `problem` is the server's problem+json (or one made up for network failures). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title);
  }

  /** Field errors keyed by field name without the "body." prefix ("hostname", "row 3, column owner"). */
  fieldErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const e of this.problem.errors ?? []) {
      const key = e.field.replace(/^body\./, '');
      const list = out[key] ?? [];
      list.push(e.message);
      out[key] = list;
    }
    return out;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

/** Called when the session ends under us (401 outside sign-in), so the app can show the login page. */
export function setUnauthorizedHandler(fn: (() => void) | null) {
  onUnauthorized = fn;
}

type Query = Record<string, string | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, v);
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

interface RequestOptions {
  query?: Query;
  json?: unknown;
  text?: string;
  /** Raw bytes (a chosen file), sent as they are with `contentType`. */
  blob?: Blob;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Exported for the API modules beside this one (policy/api.ts). */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | Blob | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.text !== undefined) {
    headers['content-type'] = opts.contentType ?? 'text/plain';
    body = opts.text;
  } else if (opts.blob !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    body = opts.blob;
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), { method, headers, body, credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, {
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: `The server could not be reached (${(err as Error).message}). Check your connection and try again.`,
      requestId: '',
    });
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  const payload: unknown = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const problem =
      payload && typeof payload === 'object' && 'title' in payload
        ? (payload as Problem)
        : { type: 'about:blank', title: res.statusText || 'Error', status: res.status, detail: typeof payload === 'string' && payload ? payload : `The server answered ${res.status}`, requestId: '' };
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.();
    throw new ApiError(res.status, problem);
  }
  return payload as T;
}

const enc = encodeURIComponent;

export const api = {
  // --- authentication
  authStatus: () => request<AuthStatus>('GET', '/api/auth/status'),
  me: () => request<Me>('GET', '/api/auth/me'),
  login: (username: string, password: string) => request<Me>('POST', '/api/auth/login', { json: { username, password } }),
  setup: (input: { code: string; username: string; password: string }) => request<Me>('POST', '/api/auth/setup', { json: input }),
  logout: () => request<void>('POST', '/api/auth/logout'),
  changePassword: (currentPassword: string, newPassword: string) => request<void>('POST', '/api/auth/password', { json: { currentPassword, newPassword } }),
  oidcLoginUrl: '/api/auth/oidc/login',

  // --- assets
  listAssets: (q: AssetQuery) => request<AssetPage>('GET', '/api/assets', { query: q }),
  assetStats: () => request<{ total: number; unowned: number; decommissioned: number; neverInventoried: number; inventoryOverdue: number; byEnvironment: Record<string, number>; byCriticality: Record<string, number>; bySystemType: Record<string, number> }>('GET', '/api/assets/stats'),
  auditFacets: () => request<{ entityTypes: string[]; actions: string[]; actors: string[] }>('GET', '/api/audit/facets'),
  assetFacets: () => request<{ departments: string[]; locations: string[]; maintenanceGroups: string[] }>('GET', '/api/assets/facets'),
  getAsset: (id: string) => request<Asset>('GET', `/api/assets/${enc(id)}`),
  createAsset: (input: AssetCreate) => request<Asset>('POST', '/api/assets', { json: input }),
  updateAsset: (id: string, input: AssetUpdate, version?: number) =>
    request<Asset>('PATCH', `/api/assets/${enc(id)}`, { json: input, headers: version === undefined ? {} : { 'if-match': `"${version}"` } }),
  decommissionAsset: (id: string, reason: string | null) => request<Asset>('POST', `/api/assets/${enc(id)}/decommission`, { json: { reason } }),
  reactivateAsset: (id: string, reason: string | null) => request<Asset>('POST', `/api/assets/${enc(id)}/reactivate`, { json: { reason } }),
  confirmAssetReview: (id: string) => request<Asset>('POST', `/api/assets/${enc(id)}/review`),
  assetHistory: (id: string) => request<AuditRecord[]>('GET', `/api/assets/${enc(id)}/history`),
  importAssets: (csv: string, dryRun: boolean) =>
    request<ImportSummary>('POST', '/api/assets/import', { query: { dryRun: String(dryRun) }, text: csv, contentType: 'text/csv' }),
  /** Link target for the CSV export with the same filters as the list (no cursor/limit). */
  assetExportUrl: (q: AssetQuery) => {
    const { cursor: _c, limit: _l, ...rest } = q;
    return withQuery('/api/assets/export', rest);
  },

  // --- accounts
  listUsers: () => request<User[]>('GET', '/api/users'),
  createUser: (input: UserCreate) => request<User>('POST', '/api/users', { json: input }),
  updateUser: (id: string, input: UserUpdate) => request<User>('PATCH', `/api/users/${enc(id)}`, { json: input }),
  listTeams: () => request<Team[]>('GET', '/api/teams'),
  createTeam: (input: TeamCreate) => request<Team>('POST', '/api/teams', { json: input }),
  updateTeam: (id: string, input: TeamUpdate) => request<Team>('PATCH', `/api/teams/${enc(id)}`, { json: input }),
  deleteTeam: (id: string) => request<void>('DELETE', `/api/teams/${enc(id)}`),
  listTokens: () => request<ApiToken[]>('GET', '/api/tokens'),
  createToken: (input: TokenCreate) => request<{ token: string; info: ApiToken }>('POST', '/api/tokens', { json: input }),
  revokeToken: (id: string) => request<ApiToken>('DELETE', `/api/tokens/${enc(id)}`),

  // --- vulnerabilities, findings, inventory, matching
  listVulnerabilities: (q: VulnQuery) => request<{ items: VulnerabilitySummary[]; nextCursor: string | null }>('GET', '/api/vulnerabilities', { query: { ...q } }),
  getVulnerability: (id: string) => request<VulnerabilityDetail>('GET', `/api/vulnerabilities/${enc(id)}`),
  listFindings: (q: FindingQuery) => request<{ items: Finding[]; nextCursor: string | null }>('GET', '/api/findings', { query: { ...q } }),
  /** The overdue figures: open findings by priority and SLA state (the register's filters, e.g. mine=true). */
  slaSummary: (q: Record<string, string> = {}) => request<SlaSummary>('GET', '/api/findings/sla-summary', { query: q }),
  getFinding: (id: string) => request<FindingDetail>('GET', `/api/findings/${enc(id)}`),
  assetInventory: (id: string) => request<Inventory | null>('GET', `/api/assets/${enc(id)}/inventory`),
  softwareHistory: (id: string) => request<SoftwareHistoryEntry[]>('GET', `/api/assets/${enc(id)}/inventory/history`),
  importInventoryFile: (id: string, input: { format: 'dpkg-status' | 'cyclonedx' | 'spdx'; content: string; release?: string }) =>
    request<InventoryFileResult>('POST', `/api/assets/${enc(id)}/inventory/import`, { json: input }),
  importInventoryCsv: (input: InventoryCsvImport, dryRun: boolean) =>
    request<InventoryCsvResult>('POST', '/api/inventory/import/csv', { query: { dryRun: String(dryRun) }, json: input }),
  startMatchRun: () => request<MatchRun>('POST', '/api/matching/runs'),
  getMatchRun: (id: string) => request<MatchRun>('GET', `/api/matching/runs/${enc(id)}`),

  // --- vulnerability intelligence feeds
  listFeeds: () => request<FeedState[]>('GET', '/api/feeds'),
  /** Every feed the server knows (also those never imported); null when its OpenAPI document does not say. */
  feedNames: () => request<unknown>('GET', '/api/openapi.json').then(feedNamesOf),
  syncFeed: (feed: string, opts: { url?: string; release?: string } = {}) =>
    request<FeedImportSummary>('POST', `/api/feeds/${enc(feed)}/sync`, { query: { url: opts.url, release: opts.release } }),
  importFeed: (feed: string, file: File, opts: { source?: string; release?: string } = {}) =>
    request<FeedImportSummary>('POST', `/api/feeds/${enc(feed)}/import`, { query: { source: opts.source, release: opts.release }, blob: file, contentType: feedContentType(file) }),

  // --- host agents
  listAgents: (q: AgentQuery) => request<AgentList>('GET', '/api/agents', { query: { ...q } }),
  revokeAgent: (id: string, reason: string | null) => request<Agent>('POST', `/api/agents/${enc(id)}/revoke`, { json: { reason } }),
  listEnrolmentTokens: () => request<EnrolmentToken[]>('GET', '/api/agents/enrolment-tokens'),
  createEnrolmentToken: (input: EnrolmentTokenCreate) => request<{ token: string; info: EnrolmentToken }>('POST', '/api/agents/enrolment-tokens', { json: input }),
  revokeEnrolmentToken: (id: string) => request<EnrolmentToken>('DELETE', `/api/agents/enrolment-tokens/${enc(id)}`),
  assetAgent: (id: string) => request<AssetAgent>('GET', `/api/assets/${enc(id)}/agent`),

  // --- end of life
  assetEol: (id: string) => request<AssetEol>('GET', `/api/assets/${enc(id)}/eol`),
  listEolAssets: (q: { state?: string; risk?: string; withoutControl?: 'true'; limit?: string; offset?: string }) => request<EolAssetList>('GET', '/api/eol/assets', { query: { ...q } }),
  eolDataset: () => request<EolDatasetInfo>('GET', '/api/eol/dataset'),
  createEolControl: (assetId: string, input: EolControlCreate) => request<EolControl>('POST', `/api/assets/${enc(assetId)}/eol/controls`, { json: input }),
  retireEolControl: (assetId: string, id: string, reason: string) => request<EolControl>('POST', `/api/assets/${enc(assetId)}/eol/controls/${enc(id)}/retire`, { json: { reason } }),
  syncEolDataset: (url?: string) => request<EolDatasetLoad>('POST', '/api/eol/dataset/sync', { query: { url } }),
  loadEolDataset: (file: File) => request<EolDatasetLoad>('POST', '/api/eol/dataset', { query: { source: file.name }, blob: file, contentType: 'application/json' }),

  // --- audit and system
  listAudit: (q: AuditQuery) => request<{ items: AuditRecord[]; nextBeforeSeq: number | null }>('GET', '/api/audit', { query: { ...q } }),
  verifyAudit: () => request<VerifyResult>('GET', '/api/audit/verify'),
  auditExportUrl: '/api/audit/export',
  systemInfo: () => request<SystemInfo>('GET', '/api/system/info'),
};

/** Human message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.problem.detail || err.problem.title;
  if (err instanceof Error) return err.message;
  return String(err);
}

// --- agentless collection over SSH (/api/assets/{id}/ssh-target, /api/ssh/host-keys/scan)

export type { SshCollect, SshTarget };
/** PUT body: leave the secret out of `auth` to keep the stored one. */
export type SshTargetInput = z.input<typeof sshTargetInputSchema>;
export interface ScannedHostKey {
  type: string;
  key: string;
  fingerprint: string;
  /** What to pin. */
  line: string;
}

export const sshApi = {
  get: (assetId: string) => request<SshTarget>('GET', `/api/assets/${enc(assetId)}/ssh-target`),
  put: (assetId: string, input: SshTargetInput) => request<SshTarget>('PUT', `/api/assets/${enc(assetId)}/ssh-target`, { json: input }),
  remove: (assetId: string) => request<void>('DELETE', `/api/assets/${enc(assetId)}/ssh-target`),
  collect: (assetId: string) => request<SshCollect>('POST', `/api/assets/${enc(assetId)}/ssh-target/collect`),
  scanHostKeys: (host: string, port: number) => request<{ host: string; port: number; keys: ScannedHostKey[] }>('POST', '/api/ssh/host-keys/scan', { json: { host, port } }),
};

// --- the findings register (issue #5 §6): groups, saved views, CSV export, bulk validation

export const registerApi = {
  groups: (by: 'vulnerability' | 'asset' | 'package', q: FindingQuery) =>
    request<{ by: string; items: FindingGroup[]; nextCursor: string | null }>('GET', '/api/findings/groups', { query: { ...q, sort: undefined, order: undefined, by } }),
  /** Link target for the CSV export: the list's filters and sort, every matching finding (or the selection with `ids`). */
  exportUrl: (q: FindingQuery) => {
    const { cursor: _c, limit: _l, ...rest } = q;
    return withQuery('/api/findings/export.csv', { ...rest });
  },
  views: () => request<FindingView[]>('GET', '/api/findings/views'),
  createView: (input: { name: string; query: string; shared: boolean }) => request<FindingView>('POST', '/api/findings/views', { json: input }),
  deleteView: (id: string) => request<void>('DELETE', `/api/findings/views/${enc(id)}`),
  /** The validation API (services/findings/validation.service.ts): all the findings or none. */
  validate: (input: { findingIds: string[]; status: 'false_positive' | 'not_affected'; justification: string | null; reason: string }) =>
    request<{ validated: number; status: string; findingIds: string[] }>('POST', '/api/findings/validation', { json: input }),
};

// --- notifications, chat webhooks and the escalation log (issue #6 §4)

import type { Escalation, Notification } from '../../src/domain/notifications/schemas.js';
import type { Webhook, WebhookCreate, WebhookUpdate } from '../../src/domain/notifications/webhook.js';

export type { Escalation, Notification, Webhook, WebhookCreate, WebhookUpdate };

export interface EscalationRunResult {
  runId: string | null;
  at: string;
  policyVersion: number;
  rules: { name: string; findings: number }[];
  findings: number;
  recipients: number;
  inApp: number;
  emails: { queued: number; sent: number; failed: number };
  webhooks: { queued: number; sent: number; failed: number };
}

export const notificationsApi = {
  list: (q: { unread?: 'true'; limit?: string; before?: string }) => request<{ items: Notification[]; unread: number; nextBefore: string | null }>('GET', '/api/notifications', { query: { ...q } }),
  markRead: (id: string) => request<Notification>('POST', `/api/notifications/${enc(id)}/read`),
  markAllRead: () => request<{ marked: number }>('POST', '/api/notifications/read-all'),
  webhooks: () => request<Webhook[]>('GET', '/api/notification-webhooks'),
  createWebhook: (input: WebhookCreate) => request<Webhook>('POST', '/api/notification-webhooks', { json: input }),
  updateWebhook: (id: string, input: WebhookUpdate) => request<Webhook>('PATCH', `/api/notification-webhooks/${enc(id)}`, { json: input }),
  deleteWebhook: (id: string) => request<void>('DELETE', `/api/notification-webhooks/${enc(id)}`),
  testWebhook: (id: string) => request<{ ok: boolean; error: string | null; webhook: Webhook }>('POST', `/api/notification-webhooks/${enc(id)}/test`),
  escalations: (q: { findingId?: string; limit?: string; before?: string }) => request<{ items: Escalation[]; nextBefore: string | null }>('GET', '/api/escalations', { query: { ...q } }),
  runEscalations: () => request<EscalationRunResult>('POST', '/api/escalations/run'),
};
