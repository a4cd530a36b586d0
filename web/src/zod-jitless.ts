/**
 * The domain modules build zod schemas when they load. Zod 4 probes for
 * `new Function` to compile fast parsers, which the server's CSP (no
 * unsafe-eval) reports as a violation. The browser only reads the
 * vocabularies, so turn the JIT off before any schema is built. Import this
 * module first.
 */
import { z } from 'zod';

z.config({ jitless: true });
