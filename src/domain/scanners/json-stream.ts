import { JSONParser, TokenType } from '@streamparser/json';
import { type ReportInput, ScanFormatError } from './report.js';

/**
 * Streaming JSON for scanner reports (issue #5): the values at the given
 * paths (a JSONPath subset: `$.Results.*.Vulnerabilities.*`) are handed on
 * one by one, in document order, and everything else is dropped as it is
 * read, so a 500 MB Trivy report never sits in memory. Select the small
 * values a parser needs too (`$.ArtifactName`, `$.Results.*.Target`); keys
 * come in whatever order the producer wrote them, so a parser that needs a
 * target's name before its findings buffers until it has it. Selecting a
 * container and its children keeps the children in memory until the
 * container ends: select leaves or list items, not their parents. Errors
 * name the character offset.
 */

export type JsonPath = (string | number)[];

/** A selected value and where it was. */
export type JsonValueSink = (value: unknown, path: JsonPath) => void | Promise<void>;

export function formatPath(path: JsonPath): string {
  let out = '$';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  return out;
}

/**
 * Reads a JSON document whose top level must be an object or an array;
 * `onValue` is awaited, so a slow sink slows the reading.
 */
export async function streamJson(input: ReportInput, paths: string[], onValue: JsonValueSink): Promise<void> {
  const parser = new JSONParser({ paths, keepStack: false });
  const queue: { value: unknown; path: JsonPath }[] = [];
  let bytes = 0;
  let started = false;
  let failure: Error | null = null;
  parser.onValue = ({ value, key, stack }) => {
    queue.push({ value, path: [...stack.slice(1).map((s) => s.key as string | number), key as string | number] });
  };
  parser.onToken = ({ token }) => {
    // The first token decides: a bare string or number is not a report.
    if (!started && token !== TokenType.LEFT_BRACE && token !== TokenType.LEFT_BRACKET) failure ??= new ScanFormatError('expected a JSON object or array at the top level', 'byte 0');
    started = true;
  };
  parser.onError = (err) => {
    failure ??= err;
  };
  const where = () => `byte ${bytes}`;
  const asFormatError = (err: Error) => {
    if (err instanceof ScanFormatError) return err;
    // The tokenizer says 'Unexpected "x" at chunk position "2" (absolute position "59")…'.
    const at = /absolute position "(\d+)"/.exec(err.message);
    const msg = err.message.replace(/ at chunk position.*$/, '').replace(/ in state \w+$/, '');
    return new ScanFormatError(`not valid JSON: ${msg}`, at ? `character ${at[1]}` : where());
  };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    let text: string;
    try {
      text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      throw new ScanFormatError('the file is not UTF-8 text', where());
    }
    if (parser.isEnded && text.trim()) throw new ScanFormatError('more data after the end of the JSON document', where());
    if (!parser.isEnded) parser.write(text);
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (failure) throw asFormatError(failure);
    while (queue.length) {
      const v = queue.shift() as (typeof queue)[number];
      await onValue(v.value, v.path);
    }
  }
  if (bytes === 0) throw new ScanFormatError('the file is empty');
  if (!parser.isEnded) {
    try {
      parser.end();
    } catch (err) {
      failure ??= err as Error;
    }
    if (failure || !parser.isEnded) throw new ScanFormatError('the JSON document ends early: the file is truncated', where());
  }
  if (failure) throw asFormatError(failure);
  while (queue.length) {
    const v = queue.shift() as (typeof queue)[number];
    await onValue(v.value, v.path);
  }
}

/** Small typed readers for values of unknown shape, failing with the path. */
export function field<T>(obj: unknown, key: string, path: JsonPath, check: (v: unknown) => v is T, what: string): T | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ScanFormatError('expected an object', formatPath(path));
  const v = (obj as Record<string, unknown>)[key];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) throw new ScanFormatError(`must be ${what}`, formatPath([...path, key]));
  return v;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
