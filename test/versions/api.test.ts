import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/http/plugins/errors.js';
import { versionRoutes } from '../../src/http/routes/versions.js';

// The route alone, with the app's validation and error handling (authorisation, asset:read, is the auth plugin's and is
// covered by the role matrix once the route is registered in buildApp).
let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  versionRoutes(app);
  await app.ready();
});
afterAll(() => app.close());

const post = (body: unknown) => app.inject({ method: 'POST', url: '/api/versions/compare', payload: body as object });

describe('POST /api/versions/compare', () => {
  it('answers each pair in order', async () => {
    const res = await post({ ecosystem: 'debian', pairs: [{ a: '1.0~rc1', b: '1.0' }, { a: '1:1.0', b: '1:1.0-0' }, { a: '1.0+b1', b: '1.0' }] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ results: ['<', '=', '>'] });
  });

  it('handles the maximum of 10,000 pairs', async () => {
    const pairs = Array.from({ length: 10_000 }, (_, i) => ({ a: `1.${i}.0`, b: `1.${9_999 - i}.0` }));
    const res = await post({ ecosystem: 'npm', pairs });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as string[];
    expect(results).toHaveLength(10_000);
    expect(results[0]).toBe('<');
    expect(results[9_999]).toBe('>');
    expect(results.filter((r) => r === '=')).toHaveLength(0);
  });

  it('refuses 10,001 pairs with 400', async () => {
    const pairs = Array.from({ length: 10_001 }, () => ({ a: '1', b: '2' }));
    const res = await post({ ecosystem: 'maven', pairs });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('body.pairs');
  });

  it('names the index and side of a malformed pair with 422', async () => {
    const res = await post({ ecosystem: 'rpm', pairs: [{ a: '1.0', b: '1.1' }, { a: '1.0', b: 'x:1' }, { a: '1.0-', b: '1.0' }] });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.detail).toBe('2 invalid versions; first at pairs.1.b: invalid rpm version "x:1": epoch is not a number');
    expect(body.errors).toEqual([
      { field: 'body.pairs.1.b', message: 'invalid rpm version "x:1": epoch is not a number' },
      { field: 'body.pairs.2.a', message: 'invalid rpm version "1.0-": release is empty' },
    ]);
  });

  it('refuses an unknown ecosystem with 422 and a malformed body with 400 naming the field', async () => {
    const eco = await post({ ecosystem: 'cobol', pairs: [{ a: '1', b: '2' }] });
    expect(eco.statusCode).toBe(422);
    expect(eco.json().errors[0]).toMatchObject({ field: 'body.ecosystem' });
    const shape = await post({ ecosystem: 'go', pairs: [{ a: 'v1.0.0' }] });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().errors[0].field).toBe('body.pairs.0.b');
    const extra = await post({ ecosystem: 'go', pairs: [{ a: 'v1.0.0', b: 'v1.0.0', c: 1 }] });
    expect(extra.statusCode).toBe(400);
  });
});
