import { addDays, daysBetween, type EolState, SOON_DAYS, stateOf, worst } from './cycles.js';
import type { EolCycle, EolDate } from './dataset.js';
import { builtByDistribution, identifyOs, type OsInput, packageCycle, ruleFor } from './mapping.js';

/**
 * An asset's end-of-life picture (LEG-1): the state of its operating system
 * and of the server software it runs, and a risk class for the inventory.
 */
export const RISK_CLASSES = ['none', 'low', 'medium', 'high', 'critical', 'unknown'] as const;
export type RiskClass = (typeof RISK_CLASSES)[number];

export interface EolItem {
  kind: 'os' | 'software';
  product: string;
  /** Null when the product is known but none of its cycles matches. */
  cycle: string | null;
  codename: string | null;
  releaseDate: string | null;
  eol: EolDate | null;
  extendedSupport: EolDate | null;
  latest: string | null;
  /** The product cycle's own state. */
  state: EolState;
  /** Days until support ends (negative: ended that many days ago); null without a date. */
  daysLeft: number | null;
  /** Installed packages that are this cycle ("nginx 1.22.1-9"). */
  packages: string[];
  detectedFrom: string;
  /** "debian 12" when the OS release built these packages and keeps them patched. */
  coveredBy: string | null;
  /** What counts for the asset: the OS release's state for packages it covers, else `state`. */
  effectiveState: EolState;
}

export interface AssetEolInput {
  os: OsInput;
  packages: readonly { ecosystem: string; name: string; version: string }[];
  networkExposure: string;
  businessCriticality: string;
  tags: readonly string[];
}

export interface AssetEol {
  /** Worst effective state over the OS and the software; unknown when nothing could be judged. */
  state: EolState;
  risk: RiskClass;
  /** Why the risk class is what it is, for the user. */
  riskReason: string;
  os: EolItem | null;
  software: EolItem[];
  /** First day the asset is (or was) unsupported, for date-only checks in SQL; null when no end is known. */
  unsupportedFrom: string | null;
  /** First day on which this picture changes by date alone (a state or extended support ends); null: never. */
  validUntil: string | null;
}

type Products = Readonly<Record<string, readonly EolCycle[]>>;

function itemOf(kind: EolItem['kind'], product: string, cycle: EolCycle | null, today: string, detectedFrom: string): EolItem {
  const eol = cycle ? cycle.eol : null;
  const state = stateOf(eol, today);
  return {
    kind, product, cycle: cycle?.cycle ?? null, codename: cycle?.codename ?? null, releaseDate: cycle?.releaseDate ?? null,
    eol, extendedSupport: cycle?.extendedSupport ?? null, latest: cycle?.latest ?? null,
    state, daysLeft: typeof eol === 'string' ? daysBetween(today, eol) : null,
    packages: [], detectedFrom, coveredBy: null, effectiveState: state,
  };
}

/** Extended (paid or LTS) support still running after the end of regular support. */
export function extendedSupportActive(item: Pick<EolItem, 'extendedSupport'>, today: string): boolean {
  const x = item.extendedSupport;
  return x === false || (typeof x === 'string' && daysBetween(today, x) > 0);
}

const LEVELS: RiskClass[] = ['none', 'low', 'medium', 'high', 'critical'];

/** Internet-facing or business-critical: the only asset attributes the risk class reads. */
export function isExposed(a: Pick<AssetEolInput, 'networkExposure' | 'businessCriticality' | 'tags'>): boolean {
  return a.networkExposure === 'internet_facing' || a.businessCriticality === 'critical' || a.tags.includes('dora-critical');
}

/**
 * The risk class: high when the OS gets no security fixes at all; medium
 * when only paid/LTS extended support is left, or software outside the OS
 * release's care is unsupported; low when something ends within 90 days or
 * the OS could not be identified; medium and high rise one class (to high,
 * critical) on internet-facing or business-critical assets.
 */
export function riskClass(os: EolItem | null, software: readonly EolItem[], a: Pick<AssetEolInput, 'networkExposure' | 'businessCriticality' | 'tags'>, today: string): { risk: RiskClass; reason: string } {
  const own = software.filter((s) => !s.coveredBy);
  const known = [os, ...software].filter((i): i is EolItem => !!i && i.state !== 'unknown');
  if (known.length === 0) return { risk: 'unknown', reason: 'Neither the operating system nor any listed server software was recognised' };
  let level = 0;
  const reasons: string[] = [];
  const label = (i: EolItem) => `${i.product} ${i.cycle}`;
  if (os?.state === 'unsupported') {
    const ext = extendedSupportActive(os, today);
    level = Math.max(level, ext ? 2 : 3);
    reasons.push(ext ? `${label(os)} is past end of support; only extended support is left` : `${label(os)} no longer gets security fixes`);
  }
  const ownUnsupported = own.filter((s) => s.state === 'unsupported');
  if (ownUnsupported.length) {
    level = Math.max(level, 2);
    reasons.push(`unsupported software: ${ownUnsupported.map(label).join(', ')}`);
  }
  const soon = [os, ...own].filter((i): i is EolItem => !!i && i.state === 'eol_soon');
  if (soon.length) {
    level = Math.max(level, 1);
    reasons.push(`support ends within ${SOON_DAYS} days: ${soon.map(label).join(', ')}`);
  }
  if (!os || os.state === 'unknown') {
    level = Math.max(level, 1);
    reasons.push('the operating system was not recognised');
  }
  if (level >= 2 && isExposed(a)) {
    level += 1;
    reasons.push('raised one class: internet-facing or business-critical');
  }
  return { risk: LEVELS[Math.min(level, 4)] as RiskClass, reason: reasons.length ? reasons.join('; ') : 'everything recognised is supported' };
}

/** Evaluates one asset against the dataset on `today` (YYYY-MM-DD, UTC). Pure. */
export function evaluateAsset(products: Products, input: AssetEolInput, today: string): AssetEol {
  const id = identifyOs(products, input.os);
  const os = id ? itemOf('os', id.product, id.cycle, today, id.detectedFrom) : null;

  const byKey = new Map<string, EolItem>();
  const seen = new Set<string>();
  for (const p of input.packages) {
    const hit = ruleFor(p.ecosystem, p.name);
    const cycles = hit ? products[hit.rule.product] : undefined;
    if (!hit || !cycles) continue;
    const cycle = packageCycle(cycles, p.version, hit.cycleHint);
    const covered = !!os && os.cycle !== null && builtByDistribution({ product: os.product, cycle: os.cycle }, p.ecosystem, p.version);
    // Covered and vendor builds of one cycle are different promises: keep them apart.
    const key = `${hit.rule.product}\t${cycle?.cycle ?? `?${p.version}`}\t${covered}`;
    let item = byKey.get(key);
    if (!item) {
      item = itemOf('software', hit.rule.product, cycle, today, `package ${p.name}`);
      if (covered && os) {
        item.coveredBy = `${os.product} ${os.cycle}`;
        item.effectiveState = os.state;
      }
      byKey.set(key, item);
    }
    const label = `${p.name} ${p.version}`;
    if (!seen.has(`${key}\t${label}`)) item.packages.push(label);
    seen.add(`${key}\t${label}`);
  }
  const order: Record<EolState, number> = { unsupported: 0, eol_soon: 1, unknown: 2, supported: 3 };
  const software = [...byKey.values()].sort((a, b) => order[a.effectiveState] - order[b.effectiveState] || a.product.localeCompare(b.product) || (a.cycle ?? '').localeCompare(b.cycle ?? ''));
  for (const s of software) s.packages.sort();

  const effective = [os, ...software].filter((i): i is EolItem => !!i);
  const state = worst(effective.map((i) => i.effectiveState));
  const { risk, reason } = riskClass(os, software, input, today);
  return { state, risk, riskReason: reason, os, software, unsupportedFrom: unsupportedFrom(os, software, today), validUntil: validUntil(os, software, today) };
}

/** The effective end of support of an item: the OS's for packages the OS release covers. */
function effectiveEol(i: EolItem, os: EolItem | null): EolDate | null {
  return i.coveredBy && os ? os.eol : i.eol;
}

function unsupportedFrom(os: EolItem | null, software: readonly EolItem[], today: string): string | null {
  let first: string | null = null;
  for (const i of [os, ...software]) {
    if (!i) continue;
    const e = effectiveEol(i, os);
    const day = e === true ? today : typeof e === 'string' ? e : null;
    if (day && (!first || day < first)) first = day;
  }
  return first;
}

function validUntil(os: EolItem | null, software: readonly EolItem[], today: string): string | null {
  let next: string | null = null;
  const consider = (d: EolDate | null | undefined) => {
    if (typeof d !== 'string') return;
    for (const t of [addDays(d, -SOON_DAYS), d]) if (t > today && (!next || t < next)) next = t;
  };
  for (const i of [os, ...software]) {
    if (!i) continue;
    consider(i.eol);
    consider(i.extendedSupport);
  }
  return next;
}
