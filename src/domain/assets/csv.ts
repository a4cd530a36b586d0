import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, OS_FAMILIES, SYSTEM_TYPES } from './asset.js';

/**
 * The asset CSV format, used both ways (import and export) so an export can
 * be edited in a spreadsheet and imported again. Headers are matched loosely
 * ("IP addresses", "ip_addresses" and "ipAddresses" are one column); values
 * of enumerations accept their labels ("Web server") as well as their codes.
 */
export const CSV_COLUMNS = [
  'id',
  'hostname',
  'fqdn',
  'ip_addresses',
  'os_family',
  'os_name',
  'os_version',
  'environment',
  'system_type',
  'department',
  'location',
  'owner',
  'business_criticality',
  'network_exposure',
  'maintenance_group',
  'tags',
  'supplier',
  'description',
  'lifecycle',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

const key = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const ALIASES: Record<string, CsvColumn> = {
  ...Object.fromEntries(CSV_COLUMNS.map((c) => [key(c), c])),
  host: 'hostname',
  name: 'hostname',
  ip: 'ip_addresses',
  ips: 'ip_addresses',
  ipaddress: 'ip_addresses',
  addresses: 'ip_addresses',
  os: 'os_name',
  operatingsystem: 'os_name',
  env: 'environment',
  type: 'system_type',
  criticality: 'business_criticality',
  exposure: 'network_exposure',
  owner: 'owner',
  ownedby: 'owner',
  tag: 'tags',
};

export interface HeaderProblem {
  column: number;
  header: string;
  message: string;
}

export function mapHeader(header: string[]): { columns: (CsvColumn | null)[]; problems: HeaderProblem[] } {
  const problems: HeaderProblem[] = [];
  const seen = new Map<CsvColumn, number>();
  const columns = header.map((h, i) => {
    const col = ALIASES[key(h)] ?? null;
    if (!col) problems.push({ column: i + 1, header: h, message: `unknown column "${h}"; known columns: ${CSV_COLUMNS.join(', ')}` });
    else if (seen.has(col)) problems.push({ column: i + 1, header: h, message: `column "${h}" repeats column ${(seen.get(col) ?? 0) + 1} (${col})` });
    else seen.set(col, i);
    return col;
  });
  if (!seen.has('hostname') && !seen.has('id')) problems.push({ column: 0, header: '', message: 'a "hostname" column is required' });
  return { columns, problems };
}

function enumValue<T extends string>(values: readonly T[], raw: string): T | string {
  const k = key(raw);
  return values.find((v) => key(v) === k) ?? (k === 'prod' && (values as readonly string[]).includes('production') ? ('production' as T) : k === 'dev' && (values as readonly string[]).includes('development') ? ('development' as T) : raw);
}

const list = (raw: string) =>
  raw
    .split(/[;|\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** One CSV row as the fields it sets; empty cells clear optional fields. Validation happens after. */
export function rowToFields(columns: (CsvColumn | null)[], cells: string[]): { fields: Record<string, unknown>; owner?: string; id?: string; lifecycle?: string } {
  const fields: Record<string, unknown> = {};
  let owner: string | undefined;
  let id: string | undefined;
  let lifecycle: string | undefined;
  columns.forEach((col, i) => {
    if (!col) return;
    // An exported cell that began with a formula character was prefixed with ' (see exportCsv).
    const raw = (cells[i] ?? '').trim().replace(/^'(?=[=+\-@])/, '');
    const orNull = raw === '' ? null : raw;
    switch (col) {
      case 'id':
        if (raw) id = raw;
        break;
      case 'owner':
        owner = raw;
        break;
      case 'lifecycle':
        if (raw) lifecycle = key(raw);
        break;
      case 'ip_addresses':
        fields.ipAddresses = list(raw);
        break;
      case 'tags':
        fields.tags = raw
          .split(/[;|]/)
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case 'environment':
        fields.environment = enumValue(ENVIRONMENTS, raw);
        break;
      case 'system_type':
        fields.systemType = enumValue(SYSTEM_TYPES, raw);
        break;
      case 'business_criticality':
        fields.businessCriticality = enumValue(CRITICALITIES, raw);
        break;
      case 'network_exposure':
        fields.networkExposure = enumValue(EXPOSURES, raw);
        break;
      case 'os_family':
        fields.osFamily = raw === '' ? null : enumValue(OS_FAMILIES, raw);
        break;
      case 'hostname':
        fields.hostname = raw;
        break;
      default: {
        const camel = col.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
        fields[camel] = orNull;
      }
    }
  });
  return { fields, owner, id, lifecycle };
}

/** zod issue path (camelCase field) back to the CSV column the user sees. */
export function fieldToColumn(field: string): string {
  if (field === 'ownerUserId' || field === 'ownerTeamId') return 'owner';
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
