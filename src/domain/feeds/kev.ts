/**
 * CISA Known Exploited Vulnerabilities catalogue (JSON):
 * { title, catalogVersion, dateReleased, count, vulnerabilities: [{ cveID,
 * vendorProject, product, vulnerabilityName, dateAdded, shortDescription,
 * requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes }] }.
 * Each entry carries its own dueDate; it is used as given, never derived.
 */
export interface KevEntry {
  cve: string;
  vendorProject: string;
  product: string;
  name: string;
  dateAdded: string;
  dueDate: string;
  shortDescription: string;
  requiredAction: string;
  /** knownRansomwareCampaignUse: true for "Known", false for "Unknown". */
  ransomware: boolean;
  notes: string;
  cwes: string[];
}

export interface KevCatalogue {
  catalogVersion: string;
  dateReleased: string;
  entries: KevEntry[];
}

/** A feed file that is not what it claims to be; `place` names where (entry index, CSV line, JSON path). */
export class FeedFormatError extends Error {
  constructor(
    readonly place: string,
    readonly problem: string,
  ) {
    super(`${place}: ${problem}`);
    this.name = 'FeedFormatError';
  }
}

export const CVE_ID_RE = /^CVE-\d{4}-\d{4,19}$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

const LIMITS = { short: 1_000, long: 20_000 } as const;

export function parseKev(doc: unknown): KevCatalogue {
  if (!isObject(doc)) throw new FeedFormatError('document', 'expected a JSON object with "catalogVersion" and "vulnerabilities"');
  const { catalogVersion, dateReleased, vulnerabilities } = doc;
  if (typeof catalogVersion !== 'string' || !catalogVersion || catalogVersion.length > 100) throw new FeedFormatError('catalogVersion', 'expected a non-empty string');
  if (typeof dateReleased !== 'string' || Number.isNaN(Date.parse(dateReleased))) throw new FeedFormatError('dateReleased', `expected a date and time, got ${show(dateReleased)}`);
  if (!Array.isArray(vulnerabilities)) throw new FeedFormatError('vulnerabilities', 'expected an array of entries');
  if (typeof doc.count === 'number' && doc.count !== vulnerabilities.length) {
    throw new FeedFormatError('count', `the catalogue says ${doc.count} entries but holds ${vulnerabilities.length} (truncated file?)`);
  }
  const seen = new Map<string, number>();
  const entries = vulnerabilities.map((v, i): KevEntry => {
    const at = (field?: string) => `vulnerabilities[${i}]${field ? `.${field}` : ''}`;
    if (!isObject(v)) throw new FeedFormatError(at(), 'expected an object');
    const str = (field: string, opts: { required?: boolean; max?: number } = {}): string => {
      const x = v[field];
      if (x === undefined || x === null) {
        if (opts.required) throw new FeedFormatError(at(field), 'is missing');
        return '';
      }
      if (typeof x !== 'string') throw new FeedFormatError(at(field), `expected a string, got ${show(x)}`);
      if (opts.required && !x.trim()) throw new FeedFormatError(at(field), 'is empty');
      if (x.length > (opts.max ?? LIMITS.short)) throw new FeedFormatError(at(field), `is longer than ${opts.max ?? LIMITS.short} characters`);
      return x;
    };
    const date = (field: string) => {
      const x = str(field, { required: true });
      if (!isIsoDate(x)) throw new FeedFormatError(at(field), `expected a date YYYY-MM-DD, got ${show(x)}`);
      return x;
    };
    const cve = str('cveID', { required: true }).trim();
    if (!CVE_ID_RE.test(cve)) throw new FeedFormatError(at('cveID'), `expected a CVE id (CVE-YYYY-NNNN), got ${show(cve)}`);
    const first = seen.get(cve);
    if (first !== undefined) throw new FeedFormatError(at('cveID'), `${cve} is listed twice (also at vulnerabilities[${first}])`);
    seen.set(cve, i);
    const ransom = v.knownRansomwareCampaignUse;
    if (ransom !== 'Known' && ransom !== 'Unknown') throw new FeedFormatError(at('knownRansomwareCampaignUse'), `expected "Known" or "Unknown", got ${show(ransom)}`);
    const dateAdded = date('dateAdded');
    const dueDate = date('dueDate');
    let cwes: string[] = [];
    if (v.cwes !== undefined && v.cwes !== null) {
      if (!Array.isArray(v.cwes) || v.cwes.length > 100 || v.cwes.some((c) => typeof c !== 'string' || c.length > 100)) {
        throw new FeedFormatError(at('cwes'), 'expected an array of CWE ids');
      }
      cwes = v.cwes as string[];
    }
    return {
      cve,
      vendorProject: str('vendorProject'),
      product: str('product'),
      name: str('vulnerabilityName', { required: true }),
      dateAdded,
      dueDate,
      shortDescription: str('shortDescription', { max: LIMITS.long }),
      requiredAction: str('requiredAction', { max: LIMITS.long }),
      ransomware: ransom === 'Known',
      notes: str('notes', { max: LIMITS.long }),
      cwes,
    };
  });
  return { catalogVersion, dateReleased, entries };
}

const GHSA_RE = /\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b/g;

/**
 * The GitHub advisory id a KEV entry's notes cite for the same vulnerability
 * (its advisory link). Notes citing several advisories are ambiguous (they
 * may cover related components) and give none.
 */
export function kevAliases(e: KevEntry): string[] {
  const ids = [...new Set(e.notes.match(GHSA_RE) ?? [])];
  return ids.length === 1 ? ids : [];
}
