import { Command } from 'commander';
import { packageVersion } from '../lib/paths.js';
import { agentCommands } from './agent.js';

/**
 * `patchloop agent …` on its own: the host agent loads only what it uses (no
 * server, database or HTTP framework), which keeps a check-in's CPU time and
 * memory small on the hosts it runs on (docs/benchmarks.md).
 */
export function buildAgentProgram(): Command {
  const program = new Command('patchloop').version(packageVersion()).showHelpAfterError();
  agentCommands(program, (err: unknown): never => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
  return program;
}
