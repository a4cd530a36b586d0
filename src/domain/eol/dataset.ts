import { z } from 'zod';

/**
 * The end-of-life dataset (LEG-1): per product (endoflife.date's slug) its
 * release cycles with their support dates. Two published shapes are read:
 *  - the release-cycle layout of the endoflife.date product files (and of
 *    their v0 API): `{ products: { debian: [{ cycle, eol, ... }] } }`;
 *  - the endoflife.date API v1 (`/api/v1/products/full`, or one product):
 *    `{ result: [{ name, releases: [{ name, isEol, eolFrom, ... }] }] }`.
 * `eol` is a date (support ends that day), `true` (ended, date unknown) or
 * `false` (not ended, no date fixed yet).
 */
export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function realDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const isoDate = z.string().regex(DATE_RE, 'must be a date YYYY-MM-DD').refine(realDate, 'must be a real calendar date');
const dateOrFlag = z.union([z.string(), z.boolean()], { error: 'must be a date YYYY-MM-DD, true or false' }).superRefine((v, ctx) => {
  if (typeof v !== 'string') return;
  if (!DATE_RE.test(v)) ctx.addIssue({ code: 'custom', message: 'must be a date YYYY-MM-DD, true or false' });
  else if (!realDate(v)) ctx.addIssue({ code: 'custom', message: 'must be a real calendar date' });
});
const shortText = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const cycleName = z.string({ error: 'must be a string (a JSON number loses trailing zeros: write "3.10", not 3.10)' }).min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const PRODUCT_RE = /^[a-z0-9][a-z0-9._+-]*$/;
export const MAX_PRODUCTS = 5000;
export const MAX_CYCLES = 1000;

export const eolCycleSchema = z.object({
  cycle: cycleName,
  codename: shortText(200).nullable().optional(),
  label: shortText(200).nullable().optional(),
  releaseDate: isoDate.nullable().optional(),
  eol: dateOrFlag,
  extendedSupport: dateOrFlag.nullable().optional(),
  lts: dateOrFlag.nullable().optional(),
  latest: shortText(200).nullable().optional(),
});

const productsLayout = z.object({
  source: shortText(2000).nullable().optional(),
  license: shortText(20_000).nullable().optional(),
  products: z.record(z.string(), z.array(eolCycleSchema).min(1, 'must list at least one cycle').max(MAX_CYCLES, `at most ${MAX_CYCLES} cycles`)),
});

const v1Release = z.object({
  name: cycleName,
  codename: shortText(200).nullable().optional(),
  label: shortText(200).nullable().optional(),
  releaseDate: isoDate.nullable().optional(),
  isLts: z.boolean().nullable().optional(),
  ltsFrom: isoDate.nullable().optional(),
  isEol: z.boolean({ error: 'must be true or false' }),
  eolFrom: isoDate.nullable().optional(),
  isEoes: z.boolean().nullable().optional(),
  eoesFrom: isoDate.nullable().optional(),
  latest: z.object({ name: shortText(200) }).nullable().optional(),
});
const v1Product = z.object({ name: z.string(), releases: z.array(v1Release).min(1, 'must list at least one release').max(MAX_CYCLES, `at most ${MAX_CYCLES} releases`) });
const v1Full = z.object({ result: z.array(v1Product).min(1, 'holds no products') });
const v1One = z.object({ result: v1Product });

export type EolDate = string | boolean;

export interface EolCycle {
  cycle: string;
  codename: string | null;
  label: string | null;
  releaseDate: string | null;
  eol: EolDate;
  extendedSupport: EolDate | null;
  lts: EolDate | null;
  latest: string | null;
}

export interface EolDataset {
  source: string | null;
  license: string | null;
  /** Cycles in the order the source lists them (newest first on endoflife.date). */
  products: Record<string, EolCycle[]>;
}

export interface EolProblem {
  field: string;
  message: string;
}

/** A dataset that cannot be used; `problems` name the record and field ("products.debian[1] (cycle 12).eol"). */
export class EolFormatError extends Error {
  constructor(
    message: string,
    readonly problems: readonly EolProblem[],
  ) {
    super(message);
    this.name = 'EolFormatError';
  }
}

/** "products.debian[1] (cycle 12).eol" from a zod path, naming the record by its cycle or product where known. */
function where(doc: unknown, path: readonly PropertyKey[]): string {
  let out = '';
  let node: unknown = doc;
  for (const [i, key] of path.entries()) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += `${out ? '.' : ''}${String(key)}`;
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    // Name the record at an array index so the user can find it without counting.
    if (typeof key === 'number' && node && typeof node === 'object' && i < path.length - 1) {
      const rec = node as Record<string, unknown>;
      const id = typeof rec.cycle === 'string' ? `cycle ${rec.cycle}` : typeof rec.name === 'string' ? rec.name : null;
      if (id) out += ` (${id})`;
    }
  }
  return out || 'document';
}

function problemsOf(doc: unknown, err: z.ZodError): EolProblem[] {
  return err.issues.slice(0, 100).map((i) => ({ field: where(doc, i.path), message: i.message }));
}

function fail(problems: EolProblem[]): never {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
  throw new EolFormatError(`The end-of-life dataset is not valid: ${first?.field}: ${first?.message}${more}; nothing was loaded`, problems);
}

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

function checkProducts(products: Record<string, EolCycle[]>, prefix: string): EolProblem[] {
  const problems: EolProblem[] = [];
  const names = Object.keys(products);
  if (names.length === 0) problems.push({ field: prefix, message: 'holds no products' });
  if (names.length > MAX_PRODUCTS) problems.push({ field: prefix, message: `holds ${names.length} products; at most ${MAX_PRODUCTS}` });
  for (const name of names) {
    if (!PRODUCT_RE.test(name) || name.length > 100) problems.push({ field: `${prefix}.${name}`, message: 'must be a product slug like debian or apache-http-server (lower case, digits, . _ + -)' });
    const seen = new Set<string>();
    for (const [i, c] of (products[name] ?? []).entries()) {
      if (seen.has(c.cycle)) problems.push({ field: `${prefix}.${name}[${i}] (cycle ${c.cycle}).cycle`, message: `cycle ${JSON.stringify(c.cycle)} is listed twice` });
      seen.add(c.cycle);
    }
  }
  return problems;
}

/** Reads either published shape; throws EolFormatError naming every bad record and field (at most 100). */
export function parseEolDataset(doc: unknown): EolDataset {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    fail([{ field: 'document', message: Array.isArray(doc) ? 'is a bare array of cycles: wrap it as {"products": {"<product>": [...]}} to say which product it is' : 'must be a JSON object with "products" (endoflife.date cycles) or "result" (endoflife.date API v1)' }]);
  }
  const obj = doc as Record<string, unknown>;
  if ('products' in obj) {
    const r = productsLayout.safeParse(doc);
    if (!r.success) fail(problemsOf(doc, r.error));
    const products: Record<string, EolCycle[]> = {};
    for (const [name, cycles] of Object.entries(r.data.products)) {
      products[name] = cycles.map((c) => ({
        cycle: c.cycle, codename: orNull(c.codename), label: orNull(c.label), releaseDate: orNull(c.releaseDate),
        eol: c.eol, extendedSupport: orNull(c.extendedSupport), lts: orNull(c.lts), latest: orNull(c.latest),
      }));
    }
    const problems = checkProducts(products, 'products');
    if (problems.length) fail(problems);
    return { source: orNull(r.data.source), license: orNull(r.data.license), products };
  }
  if ('result' in obj) {
    const r = Array.isArray(obj.result) ? v1Full.safeParse(doc) : v1One.safeParse(doc);
    if (!r.success) fail(problemsOf(doc, r.error));
    const list = Array.isArray(r.data.result) ? r.data.result : [r.data.result];
    const products: Record<string, EolCycle[]> = {};
    const problems: EolProblem[] = [];
    for (const [i, p] of list.entries()) {
      if (products[p.name]) problems.push({ field: `result[${i}] (${p.name}).name`, message: `product ${JSON.stringify(p.name)} is listed twice` });
      products[p.name] = p.releases.map((rel) => ({
        cycle: rel.name, codename: orNull(rel.codename), label: orNull(rel.label), releaseDate: orNull(rel.releaseDate),
        // A date says when; the flag alone says whether (ended, or not yet with no date fixed).
        eol: rel.eolFrom ?? rel.isEol,
        extendedSupport: rel.eoesFrom ?? orNull(rel.isEoes),
        lts: rel.ltsFrom ?? orNull(rel.isLts),
        latest: rel.latest?.name ?? null,
      }));
    }
    problems.push(...checkProducts(products, 'result'));
    if (problems.length) fail(problems);
    return { source: 'endoflife.date API v1', license: null, products };
  }
  fail([{ field: 'document', message: 'must have "products" (endoflife.date cycles) or "result" (endoflife.date API v1)' }]);
}

export function countCycles(d: EolDataset): number {
  return Object.values(d.products).reduce((n, c) => n + c.length, 0);
}
