import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDays, utcDay } from '../../src/domain/eol/cycles.js';

export const TODAY = utcDay(new Date());
export const day = (n: number) => addDays(TODAY, n);

/**
 * A small dataset in the endoflife.date cycle layout whose dates are relative
 * to today, so that every state is what the test says on any day it runs.
 */
export function relativeDataset(over: Record<string, unknown[]> = {}) {
  return {
    source: 'test dataset',
    license: 'MIT (test)',
    products: {
      debian: [
        { cycle: '13', codename: 'Trixie', releaseDate: '2025-08-09', eol: day(1000), extendedSupport: day(1600), lts: null, latest: '13.6' },
        { cycle: '12', codename: 'Bookworm', releaseDate: '2023-06-10', eol: day(-10), extendedSupport: day(500), lts: null, latest: '12.15' },
        { cycle: '9', codename: 'Stretch', releaseDate: '2017-06-17', eol: day(-2000), extendedSupport: day(-900), lts: null, latest: '9.13' },
      ],
      'rocky-linux': [{ cycle: '9', releaseDate: '2022-07-14', eol: day(2000), latest: '9.6' }],
      postgresql: [{ cycle: '15', releaseDate: '2022-10-13', eol: day(400), latest: '15.14' }],
      nodejs: [{ cycle: '22', releaseDate: '2024-04-24', eol: day(500), latest: '22.20.0' }, { cycle: '18', releaseDate: '2022-04-19', eol: day(-100), latest: '18.20.8' }],
      nginx: [{ cycle: '1.28', eol: false, latest: '1.28.1' }, { cycle: '1.22', eol: day(90), latest: '1.22.1' }],
      'windows-server': [{ cycle: '2012-r2', label: 'Windows Server 2012 R2', releaseDate: '2013-10-18', eol: true, latest: '6.3.9600' }],
      ...over,
    },
  };
}

/** The same dataset in the endoflife.date API v1 shape (as /api/v1/products/full answers). */
export function asV1(doc: ReturnType<typeof relativeDataset>) {
  return {
    schema_version: '1.2.0',
    total: Object.keys(doc.products).length,
    result: Object.entries(doc.products).map(([name, cycles]) => ({
      name,
      releases: (cycles as Record<string, any>[]).map((c) => ({
        name: c.cycle, codename: c.codename ?? null, label: c.label ?? null, releaseDate: c.releaseDate ?? null,
        isLts: false, ltsFrom: null,
        isEol: c.eol === true || (typeof c.eol === 'string' && c.eol <= TODAY), eolFrom: typeof c.eol === 'string' ? c.eol : null,
        ...(c.extendedSupport ? { isEoes: c.extendedSupport <= TODAY, eoesFrom: c.extendedSupport } : {}),
        isMaintained: true, latest: c.latest ? { name: c.latest, date: null, link: null } : null,
      })),
    })),
  };
}

export interface Mirror {
  url: string;
  requests: { url: string; ifNoneMatch?: string }[];
  /** What /eol.json answers next. */
  body: string;
  close(): Promise<void>;
}

/** A local stand-in for endoflife.date: /eol.json with an ETag (304 on a match), /broken.json, 404 elsewhere. */
export function startMirror(body: string): Promise<Mirror> {
  const m = { body, requests: [] as Mirror['requests'] };
  const server = http.createServer((req, res) => {
    m.requests.push({ url: req.url ?? '', ifNoneMatch: req.headers['if-none-match'] });
    const etag = `"${Buffer.from(m.body).length}-${m.body.length % 9973}"`;
    if (req.url === '/broken.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"result": [');
    if (req.url !== '/eol.json') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(m.body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(Object.assign(m, { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) }) as Mirror);
    });
  });
}
