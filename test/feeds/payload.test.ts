import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, parseJson, payloadText } from '../../src/services/feeds/payload.js';

describe('feed payloads', () => {
  it('names the line and column of a JSON syntax error', () => {
    expect(() => parseJson('{\n  "a": 1,\n  "b": tru\n}')).toThrow('line 3, column 8');
    expect(() => parseJson('{"a": [1, 2')).toThrow(/line 1, column \d+ \(end of file\): .*truncated/);
    expect(() => parseJson('cve,epss')).toThrow('line 1, column 1');
    expect(jsonErrorOffset('{"a":"x\u0001"}')).toBe(7);
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('{"a":1} x')).toBe(8);
  });

  it('decodes gzip and refuses bad bytes', () => {
    expect(payloadText(zlib.gzipSync('héllo'))).toBe('héllo');
    expect(() => payloadText(Buffer.from([0x61, 0x62, 0xc3, 0x28]))).toThrow('byte 2');
    expect(() => payloadText(zlib.gzipSync('x'.repeat(1000)), 100)).toThrow('decompresses to more than 100 bytes');
  });
});
