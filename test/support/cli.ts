import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { vi } from 'vitest';
import { injectClient } from '../../src/cli/client.js';
import type { Runner } from '../../src/cli/program.js';
import type { Config } from '../../src/lib/config.js';

export interface CliRun {
  /** console.log, stdout and commander's own output (help). */
  out: string;
  /** console.error and commander's usage errors. */
  err: string;
  /** What the command threw (a server refusal, a usage error), if anything. */
  error?: Error;
  /** What the command's action returned (an exit code, for some). */
  code?: unknown;
}

/**
 * Runs `patchloop <argv>` in this process against a test app, through the
 * same client the CLI uses in local mode (requests injected into the app),
 * as the owner of `token`. `register` adds the command group under test.
 */
export async function runCli(app: FastifyInstance, token: string, register: (program: Command, run: Runner) => void, argv: string[]): Promise<CliRun> {
  const client = injectClient(app, token, 'test');
  let error: Error | undefined;
  let code: unknown;
  const run: Runner = async (fn) => {
    try {
      code = await fn(client, {} as Config);
    } catch (e) {
      error = e as Error;
    }
  };
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const logErr = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    const program = new Command('patchloop').exitOverride().configureOutput({ writeErr: (s) => void err.push(s), writeOut: (s) => void out.push(s) });
    register(program, run);
    await program.parseAsync(['node', 'patchloop', ...argv]);
  } catch (e) {
    error = e as Error;
  } finally {
    log.mockRestore();
    logErr.mockRestore();
    write.mockRestore();
  }
  return { out: out.join('\n'), err: err.join('\n'), error, code };
}
