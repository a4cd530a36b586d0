import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { type ReportFinding, type ReportInput, ScanFormatError, SEVERITIES } from './report.js';

/**
 * Safe streaming XML for scanner reports (issue #5, VUL-2), shared by the
 * Nessus, Greenbone/OpenVAS and Qualys importers. The file goes through saxes
 * in slices; a format's handler sees elements open and close, collects only
 * the text it asks for and emits finished units (a host, a batch of
 * findings), which are handed to the sink between slices and awaited, so a
 * slow database slows the reading and memory stays flat.
 *
 * Hostile input: a DOCTYPE is refused (it is the door to external entities
 * and entity expansion), except, when a format allows it, the bare
 * `<!DOCTYPE root SYSTEM "uri">` Qualys writes: it is never fetched and
 * declares nothing. Only XML's five predefined entities and character
 * references exist (saxes never expands anything else). saxes keeps a whole
 * text node or tag in memory before reporting it, so what it holds is
 * checked after every slice, as are nesting depth and attribute count.
 * Every problem is a ScanFormatError naming line and column.
 */

/** A text node, tag or DOCTYPE longer than this (characters) is refused: saxes would hold all of it. */
export const MAX_PENDING = 16 * 1024 * 1024;
const MAX_DEPTH = 256;
const MAX_ATTRIBUTES = 256;
/** Input is fed in slices of this many characters so the checks above run often. */
const SLICE = 64 * 1024;

export interface XmlSpec {
  /** What the file should be, for messages: "a Nessus v2 report". */
  what: string;
  /** Accepted root element names. */
  roots: readonly string[];
  /** Accept `<!DOCTYPE root SYSTEM "uri">` / `PUBLIC "id" "uri"` without an internal subset. */
  externalDtd?: boolean;
}

export interface XmlCursor<U> {
  /** Names of the open elements, root first; in `close` the closing element is still last. */
  readonly path: readonly string[];
  /** The parent of the element being opened or closed. */
  readonly parent: string | undefined;
  fail(message: string): never;
  /**
   * Collect the text directly inside the element just opened (not its
   * children's), handed to `close`. Beyond `max` characters: refuse the file,
   * or with `truncate` keep the first `max`.
   */
  capture(max: number, overflow?: 'fail' | 'truncate'): void;
  /** Queue a finished unit; units are handed on, awaited, in order. */
  emit(unit: U): void;
}

export interface XmlHandler<U> {
  open(name: string, attributes: Readonly<Record<string, string>>, at: XmlCursor<U>): void;
  /** `text` is what `capture` collected for this element, else null. */
  close(name: string, text: string | null, at: XmlCursor<U>): void;
}

interface Capture {
  depth: number;
  name: string;
  max: number;
  truncate: boolean;
  text: string;
}

const DOCTYPE_EXTERNAL = /^\s*([A-Za-z_][\w.:-]*)\s+(?:SYSTEM\s+(?:"[^"]*"|'[^']*')|PUBLIC\s+(?:"[^"]*"|'[^']*')\s+(?:"[^"]*"|'[^']*'))\s*$/;

/** The saxes fields that buffer input; private in its types, read to bound memory. */
interface SaxesBuffers {
  text: string;
  name: string;
  entity: string;
  piTarget: string;
}

/**
 * Reads one XML document; resolves when it is complete and well-formed and
 * every unit has been handed to `onUnit`.
 */
export async function readXml<U>(input: ReportInput, spec: XmlSpec, handler: XmlHandler<U>, onUnit: (unit: U) => void | Promise<void>): Promise<void> {
  const parser = new SaxesParser<{ position: true; xmlns: false }>({ position: true, xmlns: false });
  const buffers = parser as unknown as SaxesBuffers;
  const path: string[] = [];
  const captures: Capture[] = [];
  const ready: U[] = [];
  let failure: ScanFormatError | null = null;
  let rootSeen = false;
  let started = false;
  let attributes = 0;

  const fail = (message: string): never => {
    throw ScanFormatError.at(message, parser.line, parser.column);
  };
  const cursor: XmlCursor<U> = {
    path,
    get parent() {
      return path[path.length - 2];
    },
    fail,
    capture(max, overflow = 'fail') {
      if (!captures.length) listen(true);
      captures.push({ depth: path.length, name: path[path.length - 1] ?? '', max, truncate: overflow === 'truncate', text: '' });
    },
    emit(unit) {
      ready.push(unit);
    },
  };

  parser.on('doctype', (doctype) => {
    const m = spec.externalDtd ? DOCTYPE_EXTERNAL.exec(doctype) : null;
    if (!m) fail(`a DOCTYPE${spec.externalDtd ? ' with declarations' : ''} is not allowed in ${spec.what} (it could declare external or expanding entities)`);
    if (!spec.roots.includes(m?.[1] as string)) fail(`the DOCTYPE names <${m?.[1]}>: this is not ${spec.what}`);
  });
  parser.on('opentagstart', () => {
    attributes = 0;
  });
  parser.on('attribute', () => {
    if (++attributes > MAX_ATTRIBUTES) fail(`an element with more than ${MAX_ATTRIBUTES} attributes`);
  });
  parser.on('opentag', (node: SaxesTagPlain) => {
    const name = node.name;
    if (path.length === 0) {
      if (rootSeen) fail(`a second root element <${name}> after the end of the report`);
      rootSeen = true;
      if (!spec.roots.includes(name)) fail(`this is not ${spec.what}: the root element is <${name}>, not <${spec.roots.join('> or <')}>`);
    }
    if (path.length >= MAX_DEPTH) fail(`elements nested more than ${MAX_DEPTH} deep`);
    path.push(name);
    handler.open(name, node.attributes as Record<string, string>, cursor);
  });
  const onText = (t: string) => {
    const c = captures[captures.length - 1];
    if (!c || c.depth !== path.length) return;
    if (c.text.length + t.length <= c.max) c.text += t;
    else if (c.truncate) c.text = (c.text + t).slice(0, c.max);
    else fail(`<${c.name}> is longer than ${c.max} characters`);
  };
  // Text is listened to only while something is captured: saxes then neither builds nor buffers the rest.
  function listen(on: boolean) {
    if (on) {
      parser.on('text', onText);
      parser.on('cdata', onText);
    } else {
      parser.off('text');
      parser.off('cdata');
    }
  }
  parser.on('closetag', (node) => {
    const c = captures[captures.length - 1];
    const text = c && c.depth === path.length ? (captures.pop() as Capture).text : null;
    if (c && !captures.length) listen(false);
    handler.close(node.name, text, cursor);
    path.pop();
  });
  parser.on('error', (err) => {
    // saxes says "line:column: message"; the position is ours to format.
    failure ??= err instanceof ScanFormatError ? err : ScanFormatError.at(`not well-formed XML: ${err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`, parser.line, parser.column);
  });

  const write = (s: string) => {
    try {
      parser.write(s);
    } catch (err) {
      failure ??= err instanceof ScanFormatError ? err : ScanFormatError.at((err as Error).message, parser.line, parser.column);
    }
    if (!failure && buffers.text.length + buffers.name.length + buffers.entity.length + buffers.piTarget.length > MAX_PENDING) {
      failure = ScanFormatError.at(`a single text, tag or declaration longer than ${MAX_PENDING} characters`, parser.line, parser.column);
    }
    if (failure) throw failure;
  };
  const drain = async () => {
    while (ready.length) await onUnit(ready.shift() as U);
  };
  const feed = async (text: string) => {
    if (!started) {
      // Fail fast on JSON, CSV or binary rather than buffering it as text before a root.
      const first = /[^\s\uFEFF]/.exec(text);
      if (first) {
        started = true;
        const shown = text.slice(first.index, first.index + 20).replace(/\p{Cc}|\ufffd/gu, '?');
        if (first[0] !== '<') throw ScanFormatError.at(`this is not XML, so not ${spec.what}: it starts with "${shown}"`, 1, 1);
      }
    }
    for (let i = 0; i < text.length; i += SLICE) {
      write(text.slice(i, i + SLICE));
      await drain();
    }
  };

  const decoder = new XmlDecoder();
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    await feed(typeof chunk === 'string' ? decoder.string(chunk) : decoder.bytes(chunk));
  }
  await feed(decoder.end());
  if (!rootSeen) {
    if (started) throw ScanFormatError.at(`the file ends before its first element is complete: it is truncated, or not ${spec.what}`, parser.line, parser.column);
    throw new ScanFormatError(`the file is empty: no <${spec.roots[0]}> element`);
  }
  if (path.length) throw ScanFormatError.at(`the report ends inside <${path[path.length - 1]}>: the file is truncated`, parser.line, parser.column);
  try {
    parser.close();
  } catch (err) {
    failure ??= ScanFormatError.at((err as Error).message, parser.line, parser.column);
  }
  if (failure) throw failure;
  await drain();
}

/**
 * Bytes to text. XML names its encoding in the declaration; UTF-8 and UTF-16
 * (by byte order mark) and the encodings TextDecoder knows (ISO-8859-1,
 * windows-1252…) are read. Undecodable bytes become U+FFFD rather than
 * failing a whole import over one odd byte in a banner.
 */
class XmlDecoder {
  private decoder: InstanceType<typeof TextDecoder> | null = null;
  private head: Uint8Array[] = [];
  private headLength = 0;

  string(s: string): string {
    return this.flushHead() + s;
  }

  bytes(b: Uint8Array): string {
    if (this.decoder) return this.decoder.decode(b, { stream: true });
    this.head.push(b);
    this.headLength += b.byteLength;
    // The declaration sits in the first bytes; wait for enough of them to read it.
    return this.headLength >= 512 ? this.flushHead() : '';
  }

  end(): string {
    return this.flushHead() + (this.decoder ? this.decoder.decode() : '');
  }

  private flushHead(): string {
    if (this.decoder || this.headLength === 0) return '';
    const head = new Uint8Array(this.headLength);
    let at = 0;
    for (const b of this.head) {
      head.set(b, at);
      at += b.byteLength;
    }
    this.head = [];
    this.decoder = new TextDecoder(sniffEncoding(head));
    return this.decoder.decode(head, { stream: true });
  }
}

function sniffEncoding(head: Uint8Array): string {
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  const decl = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']/.exec(new TextDecoder('latin1').decode(head.subarray(0, 512)));
  const label = decl?.[1]?.toLowerCase();
  if (!label || label === 'utf-8' || label === 'utf8') return 'utf-8';
  try {
    new TextDecoder(label);
  } catch {
    throw ScanFormatError.at(`the XML declaration names the encoding "${label}", which cannot be read`, 1, 1);
  }
  // A UTF-16 declaration without a byte order mark would not have been readable as ASCII here.
  return label.startsWith('utf-16') ? 'utf-8' : label;
}

/** An IPv4 or IPv6 address (as scanners write them), not a name. */
export function isIpAddress(s: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255);
  return /^[0-9a-f:.]+(%[\w.-]+)?$/i.test(s) && s.split(':').length >= 3;
}

/** The first label of a DNS name; null for an address or an empty name. */
export function firstLabel(name: string | null | undefined): string | null {
  const n = name?.trim();
  if (!n || isIpAddress(n)) return null;
  return n.split('.')[0]?.toLowerCase() || null;
}

/** An ISO 8601 instant from a date the report wrote (no zone: UTC), or null when it cannot be read. */
export function isoDate(s: string | null | undefined): string | null {
  // Only ISO-like dates: Date.parse guesses at anything else, in the local time zone.
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s?.trim() ?? '');
  if (!m) return null;
  const zone = m[3] ? (m[3] === 'Z' ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z';
  const t = Date.parse(m[2] ? `${m[1]}T${m[2]}${zone}` : m[1] as string);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/**
 * Scanners sometimes report one plugin twice on the same port of a host (two
 * PHP installations behind port 80, with different output). Two findings with
 * one evidence key would overwrite each other on every import and look like
 * changed evidence (VUL-6), so they become one, with both outputs.
 */
export function mergeDuplicates(findings: ReportFinding[], maxOutput: number): ReportFinding[] {
  const byKey = new Map<string, ReportFinding>();
  for (const f of findings) {
    const key = `${f.vulnerabilityId}\0${f.sourceKey}\0${f.package?.name ?? ''}\0${f.package?.version ?? ''}`;
    const first = byKey.get(key);
    if (!first) {
      byKey.set(key, f);
      continue;
    }
    if (f.output && first.output !== f.output && !first.output?.includes(f.output)) first.output = (first.output ? `${first.output}\n\n${f.output}` : f.output).slice(0, maxOutput);
    if (f.severity && (!first.severity || SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(first.severity))) first.severity = f.severity;
    if ((f.cvssScore ?? -1) > (first.cvssScore ?? -1)) first.cvssScore = f.cvssScore ?? null;
  }
  return byKey.size === findings.length ? findings : [...byKey.values()];
}
