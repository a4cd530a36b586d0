// Parsing and validation of CVSS vector strings, following each version's
// specification of the vector string:
//   v2.0: CVSS v2 Complete Guide, section 2.4 (bare `AV:N/AC:L/Au:N/C:P/I:P/A:P`,
//         metrics in a predetermined order; NVD's parenthesised form is accepted);
//   v3.0/v3.1: CVSS v3.x Specification Document, section 6 (prefix `CVSS:3.x/`,
//         base metrics mandatory, each metric at most once, any order);
//   v4.0: CVSS v4.0 Specification Document, section 7 (prefix `CVSS:4.0/`,
//         base metrics mandatory, each metric at most once, in table 23's order).
// Pure: no I/O.

import { CVSS_VERSIONS, type CvssVersion, type MetricDefinition } from './metrics.js';

/** A rejected CVSS vector; the message names the problem. */
export class CvssError extends Error {
  override readonly name = 'CvssError';
}

export interface CvssVector {
  readonly version: CvssVersion;
  /** Metric key → value, in the order they appeared in the vector. */
  readonly metrics: Readonly<Record<string, string>>;
  /** The vector as given, trimmed (and, for v2, without parentheses). */
  readonly vector: string;
  /** The base metrics only, in the specification's order, with the version prefix (none for v2). */
  readonly baseVector: string;
}

const PREFIXES: ReadonlyArray<readonly [string, CvssVersion]> = [
  ['CVSS:4.0/', '4.0'],
  ['CVSS:3.1/', '3.1'],
  ['CVSS:3.0/', '3.0'],
];

function detect(input: string): { version: CvssVersion; body: string; vector: string } {
  for (const [prefix, version] of PREFIXES) {
    if (input.startsWith(prefix)) return { version, body: input.slice(prefix.length), vector: input };
  }
  if (input.startsWith('CVSS:')) {
    const tag = input.split('/', 1)[0];
    throw new CvssError(
      `Unsupported CVSS version prefix "${tag}": expected CVSS:4.0/, CVSS:3.1/, CVSS:3.0/ or a bare v2 vector`,
    );
  }
  // CVSS v2 has no prefix; NVD and some scanners wrap it in parentheses.
  let body = input;
  if (body.startsWith('(') || body.endsWith(')')) {
    if (!(body.startsWith('(') && body.endsWith(')'))) {
      throw new CvssError(`Unbalanced parentheses around CVSS v2 vector "${input}"`);
    }
    body = body.slice(1, -1);
  }
  if (/(^|\/)(PR|UI|S):/.test(body) && !/(^|\/)Au:/.test(body)) {
    throw new CvssError(
      `"${input}" looks like a CVSS v3 vector without its mandatory CVSS:3.0/ or CVSS:3.1/ prefix`,
    );
  }
  return { version: '2.0', body, vector: body };
}

/**
 * Parses a CVSS v2.0, v3.0, v3.1 or v4.0 vector string, detecting the version
 * from its prefix. Throws {@link CvssError} naming the problem for a malformed
 * vector: unknown metric, duplicate metric, missing mandatory (base) metric,
 * invalid value, or — for v2.0 and v4.0, whose specifications fix the order —
 * a metric out of order.
 */
export function parseCvss(input: string): CvssVector {
  if (typeof input !== 'string') throw new CvssError('CVSS vector must be a string');
  const trimmed = input.trim();
  if (trimmed === '') throw new CvssError('CVSS vector is empty');
  const { version, body, vector } = detect(trimmed);
  const def = CVSS_VERSIONS[version];
  const label = `CVSS v${version}`;
  const byKey = new Map<string, { def: MetricDefinition; index: number }>();
  def.metrics.forEach((metric, index) => {
    byKey.set(metric.key, { def: metric, index });
  });

  if (body === '') throw new CvssError(`${label} vector has no metrics`);
  const metrics: Record<string, string> = {};
  let lastIndex = -1;
  let lastKey = '';
  const parts = body.split('/');
  for (const [position, part] of parts.entries()) {
    const match = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!match) {
      throw new CvssError(
        `${label} vector component ${position + 1} "${part}" is not of the form METRIC:VALUE`,
      );
    }
    const key = match[1]!;
    const value = match[2]!;
    const known = byKey.get(key);
    if (!known) throw new CvssError(`Unknown ${label} metric "${key}" (in "${part}")`);
    if (Object.hasOwn(metrics, key)) {
      throw new CvssError(`Duplicate ${label} metric "${key}" (${known.def.name})`);
    }
    if (!known.def.values.includes(value)) {
      throw new CvssError(
        `Invalid value "${value}" for ${label} metric ${key} (${known.def.name}): expected one of ${known.def.values.join(', ')}`,
      );
    }
    if (def.orderFixed && known.index < lastIndex) {
      throw new CvssError(
        `${label} metric "${key}" is out of order: the specification requires it before "${lastKey}"`,
      );
    }
    lastIndex = known.index;
    lastKey = key;
    metrics[key] = value;
  }

  const base = def.metrics.filter((metric) => metric.group === 'base');
  const missing = base.filter((metric) => !Object.hasOwn(metrics, metric.key));
  if (missing.length > 0) {
    throw new CvssError(
      `Missing mandatory ${label} base metric${missing.length > 1 ? 's' : ''}: ${missing
        .map((metric) => `${metric.key} (${metric.name})`)
        .join(', ')}`,
    );
  }
  const baseBody = base.map((metric) => `${metric.key}:${metrics[metric.key]}`).join('/');
  return {
    version,
    metrics,
    vector,
    baseVector: version === '2.0' ? baseBody : `CVSS:${version}/${baseBody}`,
  };
}
