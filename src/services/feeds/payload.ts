import zlib from 'node:zlib';
import { FeedFormatError } from '../../domain/feeds/kev.js';
import { AppError, BadRequestError } from '../../lib/errors.js';

/** Largest feed text accepted once decompressed (the Debian tracker export is ~100 MB). */
export const MAX_FEED_TEXT_BYTES = 512 * 1024 * 1024;

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'Payload too large', message);
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Bytes (gzip or not) or text → text; names what is wrong with the bytes. */
export function payloadText(payload: string | Uint8Array, maxBytes = MAX_FEED_TEXT_BYTES): string {
  if (typeof payload === 'string') return payload;
  let bytes = payload;
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw new PayloadTooLargeError(`The feed file decompresses to more than ${maxBytes} bytes`);
      const truncated = e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message);
      throw new BadRequestError(`The gzip data is ${truncated ? 'truncated' : 'corrupt'}: ${e.message}; nothing was imported`, [{ field: 'body (gzip)', message: truncated ? 'ends before the compressed stream does' : e.message }]);
    }
  }
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(`The feed file is larger than ${maxBytes} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new BadRequestError(`The feed file is not valid UTF-8 (byte ${at}); nothing was imported`, [{ field: `byte ${at}`, message: 'is not valid UTF-8' }]);
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const d = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest invalid prefix (a cut inside a character is tolerated by stream mode).
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    try {
      d.decode(bytes.subarray(0, mid + 1), { stream: true });
      d.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}

/** JSON text → value; a syntax error names its line and column. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : jsonErrorOffset(text);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    const reason = msg.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '').slice(0, 200);
    if (pos >= text.trimEnd().length) throw new FeedFormatError(`line ${line}, column ${column} (end of file)`, 'not valid JSON: the document ends early (truncated file?)');
    throw new FeedFormatError(`line ${line}, column ${column}`, `not valid JSON: ${reason}`);
  }
}

/**
 * Offset of the first JSON syntax error (V8's messages do not always carry
 * one). Only runs after JSON.parse failed, so it favours brevity over speed.
 */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const str = () => {
    if (s[i] !== '"') fail();
    i++;
    while (i < s.length && s[i] !== '"') {
      const c = s.charCodeAt(i);
      if (c < 0x20) fail();
      if (s[i] === '\\') {
        i++;
        if (s[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(s[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= s.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (s[i] !== ':') fail();
        i++;
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
  };
  try {
    value();
    ws();
    return i < s.length ? i : s.length;
  } catch (pos) {
    if (typeof pos === 'number') return pos;
    throw pos;
  }
}

export function formatError(err: unknown): never {
  if (err instanceof FeedFormatError) {
    throw new BadRequestError(`The feed file is not valid at ${err.place}: ${err.problem}; nothing was imported`, [{ field: err.place, message: err.problem }]);
  }
  throw err;
}
