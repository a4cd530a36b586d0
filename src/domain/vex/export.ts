import { PackageURL } from 'packageurl-js';
import type { VexJustification } from '../scanners/report.js';
import { type PackageRef, purlOf } from './purl.js';
import type { CycloneDxVex, OpenVex } from './schema.js';

/**
 * VEX documents from the register's validation decisions (issue #5 §5,
 * VUL-6): CycloneDX 1.6 and OpenVEX 0.2.0. Pure: the caller hands in the
 * decisions, the document id and the time.
 *
 * A VEX statement is about a product (a package), not a host: decisions on
 * the same vulnerability with the same status, justification and reason are
 * one statement naming every package they cover. Decisions that differ in
 * their reason stay separate statements, because a statement carries one
 * impact statement and merging would put words in a reviewer's mouth.
 *
 * A finding with no package (a network check) is stated of its asset,
 * named urn:uuid:<asset id>: there is no package URL to give.
 *
 * False positives: CycloneDX has the analysis state false_positive.
 * OpenVEX has no such status; the honest mapping is not_affected with the
 * impact statement "false positive: <reason>" and no justification, because
 * none of the five justifications says "the scanner was wrong" (a
 * justification the reviewer did give is kept).
 */

export type ValidationStatus = 'false_positive' | 'not_affected';

export interface VexDecision {
  vulnerabilityId: string;
  aliases?: readonly string[];
  status: ValidationStatus;
  justification: VexJustification | null;
  reason: string;
  reviewer: string;
  /** When the decision was made, ISO 8601. */
  at: string;
  package: PackageRef | null;
  /** os-release id of the asset: the vendor in a distribution package's purl. */
  distro?: string | null;
  asset: { id: string; hostname: string };
}

export interface VexDocumentInfo {
  /** A UUID: the document's serial number / @id. */
  id: string;
  timestamp: string;
  author: string;
  toolVersion: string;
}

/** The brief's mapping onto CycloneDX (CISA justifications are coarser; component_not_present has no CycloneDX twin). */
export const CYCLONEDX_JUSTIFICATION: Record<VexJustification, NonNullable<CycloneDxVex['vulnerabilities'][number]['analysis']['justification']>> = {
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
  component_not_present: 'code_not_present',
};

interface Product {
  ref: string;
  purl: string | null;
  component: CycloneDxVex['components'][number];
}

export interface VexGroup {
  vulnerabilityId: string;
  aliases: string[];
  status: ValidationStatus;
  justification: VexJustification | null;
  reason: string;
  reviewers: string[];
  first: string;
  last: string;
  products: Product[];
}

const NAMESPACE_IS_GROUP = new Set(['maven', 'npm', 'golang', 'composer']);

function productOf(d: VexDecision): Product {
  if (!d.package) {
    const ref = `urn:uuid:${d.asset.id}`;
    return { ref, purl: null, component: { type: 'device', 'bom-ref': ref, name: d.asset.hostname } };
  }
  const purl = purlOf(d.package, d.distro);
  const component: Product['component'] = { type: 'library', 'bom-ref': purl, name: d.package.name, purl };
  try {
    const p = PackageURL.fromString(purl);
    component.name = p.name;
    if (p.namespace && NAMESPACE_IS_GROUP.has(p.type)) component.group = p.namespace;
  } catch {
    // A stored purl that does not parse still names the product; the package name stands.
  }
  if (d.package.version) component.version = d.package.version;
  return { ref: purl, purl: purl.startsWith('pkg:') ? purl : null, component };
}

const iso = (s: string) => new Date(s).toISOString();

/** Decisions grouped into statements, in a stable order (vulnerability, status, justification, reason). */
export function groupDecisions(decisions: Iterable<VexDecision>): VexGroup[] {
  const groups = new Map<string, VexGroup & { refs: Set<string> }>();
  for (const d of decisions) {
    const key = JSON.stringify([d.vulnerabilityId, d.status, d.justification, d.reason]);
    let g = groups.get(key);
    if (!g) {
      g = { vulnerabilityId: d.vulnerabilityId, aliases: [], status: d.status, justification: d.justification, reason: d.reason, reviewers: [], first: iso(d.at), last: iso(d.at), products: [], refs: new Set() };
      groups.set(key, g);
    }
    for (const a of d.aliases ?? []) if (a !== d.vulnerabilityId && !g.aliases.includes(a)) g.aliases.push(a);
    if (!g.reviewers.includes(d.reviewer)) g.reviewers.push(d.reviewer);
    const at = iso(d.at);
    if (at < g.first) g.first = at;
    if (at > g.last) g.last = at;
    const p = productOf(d);
    if (!g.refs.has(p.ref)) {
      g.refs.add(p.ref);
      g.products.push(p);
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups.values()]
    .map(({ refs: _refs, ...g }) => ({ ...g, aliases: g.aliases.sort(), reviewers: g.reviewers.sort(), products: g.products.sort((a, b) => cmp(a.ref, b.ref)) }))
    .sort((a, b) => cmp(a.vulnerabilityId, b.vulnerabilityId) || cmp(a.status, b.status) || cmp(a.justification ?? '', b.justification ?? '') || cmp(a.reason, b.reason));
}

const OSV_PREFIXES = /^(PYSEC|RUSTSEC|GO|OSV|DSA|DLA|DTSA|DEBIAN|USN|UBUNTU|ALSA|ALBA|RLSA|RXSA|ALPINE|MAL|GSD|BIT|CURL|PSF|RSEC|MGASA|SUSE|openSUSE|OESA|CGA)-/;

/** Where a vulnerability id is described. */
export function vulnerabilitySource(id: string): { name: string; url?: string } {
  if (/^CVE-\d{4}-\d{4,}$/i.test(id)) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (/^GHSA-/i.test(id)) return { name: 'GitHub', url: `https://github.com/advisories/${id}` };
  if (/^NESSUS-\d+$/.test(id)) return { name: 'Tenable', url: `https://www.tenable.com/plugins/nessus/${id.slice('NESSUS-'.length)}` };
  if (OSV_PREFIXES.test(id)) return { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
  const prefix = /^([A-Za-z]+)[-_:]/.exec(id)?.[1];
  return { name: prefix ?? 'patchloop' };
}

export function cyclonedxVex(decisions: Iterable<VexDecision>, info: VexDocumentInfo): CycloneDxVex {
  const groups = groupDecisions(decisions);
  const components = new Map<string, Product['component']>();
  const vulnerabilities = groups.map((g) => {
    for (const p of g.products) if (!components.has(p.ref)) components.set(p.ref, p.component);
    const analysis: CycloneDxVex['vulnerabilities'][number]['analysis'] = { state: g.status, firstIssued: g.first, lastUpdated: g.last };
    if (g.justification) analysis.justification = CYCLONEDX_JUSTIFICATION[g.justification];
    analysis.detail = g.reason;
    const v: CycloneDxVex['vulnerabilities'][number] = { id: g.vulnerabilityId, source: vulnerabilitySource(g.vulnerabilityId), analysis, affects: g.products.map((p) => ({ ref: p.ref })) };
    if (g.aliases.length) v.references = g.aliases.map((a) => ({ id: a, source: { name: vulnerabilitySource(a).name } }));
    v.properties = g.reviewers.map((r) => ({ name: 'patchloop:reviewer', value: r }));
    if (g.justification === 'component_not_present') v.properties.push({ name: 'patchloop:justification', value: g.justification });
    return v;
  });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${info.id}`,
    version: 1,
    metadata: { timestamp: iso(info.timestamp), tools: { components: [{ type: 'application', name: 'patchloop', version: info.toolVersion }] }, authors: [{ name: info.author }] },
    components: [...components.values()].sort((a, b) => (a['bom-ref'] < b['bom-ref'] ? -1 : 1)),
    vulnerabilities,
  };
}

export function openVex(decisions: Iterable<VexDecision>, info: VexDocumentInfo): OpenVex {
  const statements = groupDecisions(decisions).map((g) => {
    const s: OpenVex['statements'][number] = {
      vulnerability: { name: g.vulnerabilityId, ...(g.aliases.length ? { aliases: g.aliases } : {}) },
      products: g.products.map((p) => (p.purl ? { '@id': p.ref, identifiers: { purl: p.purl } } : { '@id': p.ref })),
      status: 'not_affected',
      ...(g.justification ? { justification: g.justification } : {}),
      impact_statement: g.status === 'false_positive' ? `false positive: ${g.reason}` : g.reason,
      status_notes: `${g.status === 'false_positive' ? 'marked false positive' : 'marked not affected'} in patchloop by ${g.reviewers.join(', ')}`,
      timestamp: g.last,
    };
    return s;
  });
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': `urn:uuid:${info.id}`,
    author: info.author,
    timestamp: iso(info.timestamp),
    version: 1,
    tooling: `patchloop ${info.toolVersion}`,
    statements,
  };
}
