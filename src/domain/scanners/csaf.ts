import { MAX_TEXT, packageOfPurl, SkipLog, text } from './vex-shared.js';
import { canonicalId, list, MAX_BUFFERED, prose } from './json-report.js';
import { field, formatPath, isObject, isString, type JsonPath, streamJson } from './json-stream.js';
import { type ReportParser, ScanFormatError, VEX_JUSTIFICATIONS, type VexJustification, type VexStatement, type VexStatus } from './report.js';

/**
 * CSAF 2.0 advisories, VEX profile (issue #5, VUL-6): product statements, not
 * host findings. The product tree gives product_id → (name, version, purl);
 * each vulnerability's product_status lists product ids per status, flags
 * carry the VEX justification, threats of category impact the impact
 * statement and remediations the action statement.
 *
 * Streaming: the product tree is read as its leaves (branch category and
 * name, the products, full_product_names, relationships, product_groups),
 * never as a whole, so memory follows the number of products; vulnerabilities
 * (`$.vulnerabilities.*`) come one at a time after it. A file that puts
 * vulnerabilities first has them held until the end (only the parts read
 * here: ids, product_status, flags, threats, remediations), because the
 * product groups and the document category they depend on could still come.
 */

const CATEGORIES = ['csaf_vex', 'csaf_security_advisory'];
const MAX_BRANCH_DEPTH = 16;
const MAX_PRODUCTS = 2_000_000;
const MAX_RELATION_DEPTH = 16;

/** CSAF product_status lists onto VEX statuses; `recommended` says nothing about the vulnerability and is left out. */
const STATUS_LISTS: Record<string, VexStatus> = {
  known_not_affected: 'not_affected',
  known_affected: 'affected',
  first_affected: 'affected',
  last_affected: 'affected',
  fixed: 'fixed',
  first_fixed: 'fixed',
  under_investigation: 'under_investigation',
};

type Product = VexStatement['product'];
/** name, version, purl. */
type Known = [string | null, string | null, string | null];

interface Statement {
  statement: Omit<VexStatement, 'product'>;
  productId: string;
}

const KEPT = ['cve', 'ids', 'product_status', 'flags', 'threats', 'remediations'];

const branchLevels = Array.from({ length: MAX_BRANCH_DEPTH }, (_, d) => `$.product_tree${'.branches.*'.repeat(d + 1)}`);
const PATHS = [
  '$.document.category',
  '$.document.csaf_version',
  '$.document.title',
  '$.document.publisher.name',
  '$.document.tracking.id',
  '$.document.tracking.current_release_date',
  ...branchLevels.flatMap((b) => [`${b}.category`, `${b}.name`, `${b}.product`]),
  `${branchLevels[MAX_BRANCH_DEPTH - 1]}.branches`,
  '$.product_tree.full_product_names.*',
  '$.product_tree.relationships.*',
  '$.product_tree.product_groups.*',
  '$.vulnerabilities.*',
  '$.@context',
  '$.bomFormat',
];

function ids(obj: unknown, key: string, path: JsonPath): string[] {
  return list(obj, key, path).map((v, i) => {
    if (!isString(v) || v.length > 1000) throw new ScanFormatError('must be a product id (a string)', formatPath([...path, key, i]));
    return v;
  });
}

export const csafReport: ReportParser = async (input, sink) => {
  const products = new Map<string, Known>();
  /** relationship product id → (the component's product id, its own full name and purl). */
  const relations = new Map<string, [string, string | null, string | null]>();
  const groups = new Map<string, string[]>();
  const branch: { idx: string; category: string | null; name: string | null }[] = [];
  const doc = { category: null as string | null, version: null as string | null, title: null as string | null, publisher: null as string | null, id: null as string | null, date: null as string | null };
  const held: [unknown, JsonPath][] = [];
  let sawTree = false;
  let streaming: boolean | null = null;
  let hint: string | null = null;
  let values = 0;
  const skips = new SkipLog(sink);

  const addProduct = (id: string, known: Known, path: JsonPath) => {
    if (products.size + relations.size >= MAX_PRODUCTS) throw new ScanFormatError(`more than ${MAX_PRODUCTS} products`, formatPath(path));
    products.set(id, known);
  };

  /** A full_product_name: its id and (name, purl). */
  const fullName = (p: unknown, path: JsonPath): [string, string | null, string | null] => {
    if (!isObject(p)) throw new ScanFormatError('must be an object (a full product name)', formatPath(path));
    const id = text(p, 'product_id', path, 1000);
    if (!id) throw new ScanFormatError('a product needs a product_id', formatPath([...path, 'product_id']));
    const helper = field(p, 'product_identification_helper', path, isObject, 'an object');
    return [id, text(p, 'name', path, 4096), helper ? text(helper, 'purl', [...path, 'product_identification_helper'], 4096) : null];
  };

  const onBranch = (value: unknown, path: JsonPath) => {
    const key = path[path.length - 1];
    if (key === 'branches') throw new ScanFormatError(`product tree branches nested deeper than ${MAX_BRANCH_DEPTH} levels`, formatPath(path));
    for (let i = 2; i < path.length - 1; i += 2) if (typeof path[i] !== 'number') throw new ScanFormatError('must be an array of branches', formatPath(path.slice(0, i)));
    const depth = (path.length - 2) / 2;
    const idx = path.filter((k) => typeof k === 'number').join('.');
    if (branch[depth - 1]?.idx !== idx) branch[depth - 1] = { idx, category: null, name: null };
    branch.length = depth;
    const here = branch[depth - 1] as (typeof branch)[number];
    if (key === 'category' || key === 'name') {
      if (!isString(value) || value.length > 4096) throw new ScanFormatError('must be a string', formatPath(path));
      here[key] = value;
      return;
    }
    const [id, name, purl] = fullName(value, path);
    // The nearest product_name and product_version branches above (or at) the product name it; a purl overrides both.
    const line = branch.filter((b) => idx === b.idx || idx.startsWith(`${b.idx}.`));
    const named = line.findLast((b) => b.category === 'product_name')?.name ?? null;
    const version = line.findLast((b) => b.category === 'product_version')?.name ?? null;
    addProduct(id, [named ?? name, named ? version : null, purl], path);
  };

  const resolve = (id: string, depth = 0): Product | null => {
    const known = products.get(id);
    if (known) {
      const pkg = known[2] ? packageOfPurl(known[2]) : null;
      if (pkg) return { purl: known[2], name: pkg.name, version: pkg.version ?? known[1] };
      return known[0] ? { purl: null, name: known[0], version: known[1] } : null;
    }
    const rel = relations.get(id);
    if (!rel || depth > MAX_RELATION_DEPTH) return null;
    // "A as a component of B": what a finding matches is the component A, within B (the relationship's own name says so).
    const within = rel[1];
    const pkg = rel[2] ? packageOfPurl(rel[2]) : null;
    if (pkg) return { purl: rel[2], name: pkg.name, version: pkg.version ?? null, within };
    const inner = resolve(rel[0], depth + 1);
    return inner ? { ...inner, within } : rel[1] ? { purl: null, name: rel[1], version: null, within } : null;
  };

  const emit = async (h: Statement) => {
    const product = resolve(h.productId);
    if (!product) return skips.add(`${h.statement.vulnerabilityId}, product ${h.productId.slice(0, 100)}`, 'product id not in the product tree');
    await sink.statement?.({ ...h.statement, product });
  };

  const vulnerability = async (v: unknown, path: JsonPath) => {
    if (typeof path[1] !== 'number') throw new ScanFormatError('must be an array of vulnerabilities', '$.vulnerabilities');
    if (!isObject(v)) throw new ScanFormatError('a vulnerability must be an object', formatPath(path));
    const given = [text(v, 'cve', path), ...list(v, 'ids', path).map((x, i) => text(x, 'text', [...path, 'ids', i]))].filter((x): x is string => x !== null);
    const { id, aliases } = canonicalId(given);
    if (!id) return skips.add(formatPath(path), given.length ? 'the vulnerability id is not an id (letters, digits and . _ : / + -)' : 'vulnerability without a cve or ids');
    const targets = (x: unknown, at: JsonPath) => [...ids(x, 'product_ids', at), ...ids(x, 'group_ids', at).flatMap((g) => groups.get(g) ?? [])];
    const justifications = new Map<string, VexJustification>();
    list(v, 'flags', path).forEach((f, i) => {
      const at = [...path, 'flags', i];
      const label = text(f, 'label', at, 200);
      if (!label || !(VEX_JUSTIFICATIONS as readonly string[]).includes(label)) {
        throw new ScanFormatError(`unknown flag label ${label ? `"${label.slice(0, 60)}"` : '(missing)'} (expected one of ${VEX_JUSTIFICATIONS.join(', ')})`, formatPath([...at, 'label']));
      }
      for (const p of targets(f, at)) justifications.set(p, label as VexJustification);
    });
    const impacts = new Map<string, string[]>();
    const actions = new Map<string, string[]>();
    const note = (m: Map<string, string[]>, p: string, s: string) => m.set(p, [...(m.get(p) ?? []), s]);
    list(v, 'threats', path).forEach((t, i) => {
      const at = [...path, 'threats', i];
      const details = prose(t, 'details', at, MAX_TEXT);
      if (text(t, 'category', at, 100) === 'impact' && details) for (const p of targets(t, at)) note(impacts, p, details);
    });
    list(v, 'remediations', path).forEach((r, i) => {
      const at = [...path, 'remediations', i];
      const details = prose(r, 'details', at, MAX_TEXT);
      const category = text(r, 'category', at, 100);
      if (details) for (const p of targets(r, at)) note(actions, p, category ? `${category}: ${details}` : details);
    });
    const status = field(v, 'product_status', path, isObject, 'an object') ?? {};
    for (const [key, vex] of Object.entries(STATUS_LISTS)) {
      for (const productId of ids(status, key, [...path, 'product_status'])) {
        const justification = vex === 'not_affected' ? (justifications.get(productId) ?? null) : null;
        const impact = impacts.get(productId)?.join(' ') ?? null;
        // The VEX profile requires an impact statement (a flag or an impact threat) for known_not_affected.
        if (vex === 'not_affected' && !justification && !impact && doc.category === 'csaf_vex') {
          skips.add(`${id}, product ${productId.slice(0, 100)}`, 'known_not_affected without a flag or impact statement');
          continue;
        }
        const detail = vex === 'not_affected' ? impact : vex === 'affected' ? (actions.get(productId)?.join('; ') ?? null) : null;
        await emit({ statement: { vulnerabilityId: id, aliases, status: vex, justification, detail }, productId });
      }
    }
  };

  try {
    await streamJson(input, PATHS, async (value, path) => {
      values++;
      const [top, second] = path;
      if (top === 'vulnerabilities') {
        streaming ??= sawTree && doc.category !== null;
        if (streaming) await vulnerability(value, path);
        else if (!isObject(value)) throw new ScanFormatError('a vulnerability must be an object', formatPath(path));
        else if (held.push([Object.fromEntries(KEPT.map((k) => [k, value[k]])), path]) > MAX_BUFFERED) {
          throw new ScanFormatError(`more than ${MAX_BUFFERED} vulnerabilities before the product tree (write the product tree first)`, formatPath(path));
        }
      } else if (top === 'product_tree') {
        sawTree = true;
        if (second === 'branches') onBranch(value, path);
        else if (typeof path[2] !== 'number') throw new ScanFormatError('must be an array', formatPath(path.slice(0, 2)));
        else if (second === 'full_product_names') {
          const [id, name, purl] = fullName(value, path);
          addProduct(id, [name, null, purl], path);
        } else if (second === 'relationships') {
          const ref = text(value, 'product_reference', path, 1000);
          if (!ref) throw new ScanFormatError('a relationship needs a product_reference', formatPath([...path, 'product_reference']));
          const [id, name, purl] = fullName(field(value, 'full_product_name', path, isObject, 'an object'), [...path, 'full_product_name']);
          relations.set(id, [ref, name, purl]);
        } else if (second === 'product_groups') {
          const g = text(value, 'group_id', path, 1000);
          if (g) groups.set(g, ids(value, 'product_ids', path));
        }
      } else if (top === 'document') {
        if (value !== null && !isString(value)) throw new ScanFormatError('must be a string', formatPath(path));
        const s = (value as string | null)?.slice(0, 1000) ?? null;
        if (second === 'category') {
          if (!s || !CATEGORIES.includes(s)) throw new ScanFormatError(`CSAF category "${s?.slice(0, 60)}" is not imported (expected ${CATEGORIES.join(' or ')})`, '$.document.category');
          doc.category = s;
        } else if (second === 'csaf_version') {
          if (!s?.startsWith('2.')) throw new ScanFormatError(`unsupported CSAF version "${s?.slice(0, 20)}" (2.0 expected)`, '$.document.csaf_version');
          doc.version = s;
        } else if (second === 'title') doc.title = s;
        else if (second === 'publisher') doc.publisher = s;
        else if (path[2] === 'id') doc.id = s;
        else if (s && !Number.isNaN(Date.parse(s))) doc.date = s;
      } else if (top === '@context' && isString(value) && value.includes('openvex')) hint = 'an OpenVEX document';
      else if (top === 'bomFormat') hint = 'a CycloneDX BOM';
    });
  } catch (err) {
    if (err instanceof ScanFormatError && values === 0) {
      throw new ScanFormatError(`expected a CSAF JSON document: ${err.where ? err.message.slice(err.where.length + 2) : err.message}`, err.where);
    }
    throw err;
  }
  if (!doc.version || !doc.category) {
    throw new ScanFormatError(`expected a CSAF 2.0 document with document.csaf_version and document.category (csaf_vex)${hint ? `, but this is ${hint}` : ''}`, '$.document');
  }
  for (const [v, path] of held.splice(0)) await vulnerability(v, path);
  skips.end();
  return { format: 'csaf', scanner: doc.publisher ?? 'CSAF', reportName: doc.id ?? doc.title, scannedAt: doc.date };
};
