import { Readable } from 'node:stream';

/**
 * Starts an async generator before the response headers go out, so that an
 * authorisation or validation error becomes a normal problem response, then
 * streams the rest (large exports never sit in memory whole).
 */
export async function startStream<T>(gen: AsyncGenerator<T>, encode: (item: T) => string): Promise<Readable> {
  const first = await gen.next();
  async function* all() {
    if (first.done) return;
    yield encode(first.value);
    for await (const item of gen) yield encode(item);
  }
  return Readable.from(all());
}
