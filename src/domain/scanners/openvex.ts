import { MAX_TEXT, packageOfPurl, SkipLog, text } from './vex-shared.js';
import { advisoryIdIn, canonicalId, list, nameValue, prose } from './json-report.js';
import { field, formatPath, isObject, isString, type JsonPath, streamJson } from './json-stream.js';
import { type ReportParser, ScanFormatError, VEX_JUSTIFICATIONS, type VexJustification, type VexStatement, type VexStatus } from './report.js';

/**
 * OpenVEX documents (0.2.0 and the earlier 0.0.x; issue #5, VUL-6): product
 * statements, not host findings. Each statement is handed to
 * `sink.statement` once per product and once per subcomponent it names, as
 * it is read (`$.statements.*` is streamed, one statement in memory).
 *
 * 0.2.0: statements[] {vulnerability {name, @id, aliases}, products[] {@id,
 * identifiers {purl}, subcomponents[] {@id, identifiers}}, status,
 * justification, impact_statement, action_statement, status_notes}.
 * 0.0.x: vulnerability and products are strings, subcomponents a list of
 * strings beside products.
 */

const STATUSES: readonly VexStatus[] = ['not_affected', 'affected', 'fixed', 'under_investigation'];
const MAX_PRODUCTS = 100_000;

type Product = VexStatement['product'];

/** A product given as a purl or an IRI string, or as {@id, identifiers {purl}}. */
function product(p: unknown, path: JsonPath): Product | null {
  let id: string | null;
  let purl: string | null = null;
  if (isString(p)) id = nameValue(p, path);
  else if (isObject(p)) {
    id = text(p, '@id', path, 4096);
    const ids = field(p, 'identifiers', path, isObject, 'an object');
    if (ids) purl = text(ids, 'purl', [...path, 'identifiers'], 4096);
  } else throw new ScanFormatError('a product must be a string or an object', formatPath(path));
  if (!purl && id?.startsWith('pkg:')) purl = id;
  const pkg = purl ? packageOfPurl(purl) : null;
  if (pkg) return { purl, name: pkg.name, version: pkg.version ?? null };
  // Not a purl (an image reference, a CPE, a product IRI): its name is all there is to match on.
  return id || purl ? { purl: null, name: (id ?? purl) as string, version: null } : null;
}

function justification(s: unknown, path: JsonPath): VexJustification | null {
  const j = text(s, 'justification', path, 200);
  if (!j) return null;
  if (!(VEX_JUSTIFICATIONS as readonly string[]).includes(j)) {
    throw new ScanFormatError(`unknown justification "${j.slice(0, 60)}" (expected one of ${VEX_JUSTIFICATIONS.join(', ')})`, formatPath([...path, 'justification']));
  }
  return j as VexJustification;
}

/** An @id such as https://nvd.nist.gov/vuln/detail/CVE-2023-44487 names its CVE or GHSA. */
const idFromIri = (iri: string | null) => (iri ? (advisoryIdIn(iri) ?? iri) : null);

/** The statement's vulnerability: a name (0.2.0 object, 0.0.x string) and its aliases; the CVE among them keys the register. */
function vulnerability(s: Record<string, unknown>, path: JsonPath): { id: string | null; aliases: string[]; given: boolean } {
  const v = s.vulnerability;
  const at = [...path, 'vulnerability'];
  let given: (string | null)[];
  if (isString(v)) given = [text(s, 'vulnerability', path)];
  else if (isObject(v)) given = [text(v, 'name', at) ?? idFromIri(text(v, '@id', at)), ...list(v, 'aliases', at).map((a, i) => nameValue(a, [...at, 'aliases', i]))];
  else if (v === undefined || v === null) given = [];
  else throw new ScanFormatError('must be a string or an object', formatPath(at));
  const ids = given.filter((x): x is string => x !== null);
  return { ...canonicalId(ids), given: ids.length > 0 };
}

export const openvexReport: ReportParser = async (input, sink) => {
  let context: string | null = null;
  let hint: string | null = null;
  let author: string | null = null;
  let tooling: string | null = null;
  let docId: string | null = null;
  let timestamp: string | null = null;
  let values = 0;
  const skips = new SkipLog(sink);

  const statement = async (s: unknown, path: JsonPath) => {
    if (!isObject(s)) throw new ScanFormatError('a statement must be an object', formatPath(path));
    const { id, aliases, given } = vulnerability(s, path);
    const where = formatPath(path);
    if (!id) return skips.add(where, given ? 'the vulnerability name is not an id (letters, digits and . _ : / + -)' : 'statement without a vulnerability name');
    const status = text(s, 'status', path, 100);
    if (!status || !STATUSES.includes(status as VexStatus)) {
      throw new ScanFormatError(`status ${status ? `"${status.slice(0, 40)}"` : 'missing'} (expected one of ${STATUSES.join(', ')})`, formatPath([...path, 'status']));
    }
    const just = justification(s, path);
    const impact = prose(s, 'impact_statement', path, MAX_TEXT);
    const action = prose(s, 'action_statement', path, MAX_TEXT);
    const notes = prose(s, 'status_notes', path, MAX_TEXT);
    // OpenVEX spec: a not_affected statement MUST carry a justification or an impact statement.
    if (status === 'not_affected' && !just && !impact) return skips.add(`${where} (${id})`, 'not_affected without a justification or impact statement');
    const detail = (status === 'not_affected' ? impact : status === 'affected' ? action : null) ?? notes;
    const products: Product[] = [];
    const add = (p: unknown, at: JsonPath, within: Product | null = null) => {
      const got = product(p, at);
      if (got) products.push(within ? { ...got, within: within.purl ?? within.name ?? null } : got);
      if (products.length > MAX_PRODUCTS) throw new ScanFormatError(`more than ${MAX_PRODUCTS} products in one statement`, formatPath(at));
    };
    for (const [i, p] of list(s, 'products', path).entries()) {
      add(p, [...path, 'products', i]);
      const parent = isObject(p) ? product(p, [...path, 'products', i]) : null;
      if (isObject(p)) for (const [j, c] of list(p, 'subcomponents', [...path, 'products', i]).entries()) add(c, [...path, 'products', i, 'subcomponents', j], parent);
    }
    // 0.0.x put subcomponents beside products.
    for (const [j, c] of list(s, 'subcomponents', path).entries()) add(c, [...path, 'subcomponents', j]);
    if (products.length === 0) return skips.add(`${where} (${id})`, 'statement without products');
    for (const p of products) {
      await sink.statement?.({ vulnerabilityId: id, aliases, product: p, status: status as VexStatus, justification: just, detail });
    }
  };

  try {
    await streamJson(input, ['$.@context', '$.@id', '$.author', '$.timestamp', '$.tooling', '$.statements.*', '$.bomFormat', '$.document.csaf_version'], async (value, path) => {
      values++;
      const top = path[0];
      if (top === 'statements') {
        if (typeof path[1] !== 'number') throw new ScanFormatError('must be an array of statements', '$.statements');
        await statement(value, path);
      } else if (top === '@context') {
        if (!isString(value) || !value.startsWith('https://openvex.dev/ns')) throw new ScanFormatError(`expected an OpenVEX context (https://openvex.dev/ns/…), not ${JSON.stringify(value)?.slice(0, 60)}`, '$["@context"]');
        context = value;
      } else if (top === 'bomFormat') hint = 'a CycloneDX BOM';
      else if (top === 'document') hint = 'a CSAF document';
      else if (isString(value) && value.length <= 1000) {
        if (top === '@id') docId = value;
        else if (top === 'author') author = value;
        else if (top === 'tooling') tooling = value;
        else if (top === 'timestamp' && !Number.isNaN(Date.parse(value))) timestamp = value;
      }
    });
  } catch (err) {
    if (err instanceof ScanFormatError && values === 0) {
      throw new ScanFormatError(`expected an OpenVEX JSON document: ${err.where ? err.message.slice(err.where.length + 2) : err.message}`, err.where);
    }
    throw err;
  }
  if (!context) throw new ScanFormatError(`expected an OpenVEX document with "@context": "https://openvex.dev/ns/…"${hint ? `, but this is ${hint}` : ''}`, '$');
  skips.end();
  return { format: 'openvex', scanner: tooling ?? author ?? 'OpenVEX', reportName: docId, scannedAt: timestamp };
};
