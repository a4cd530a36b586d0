import type { Command } from 'commander';
import { CollectError, collectInventory } from '../agent/collect/index.js';
import { printJson } from './output.js';

/**
 * `patchloop agent`: runs on a Linux host (issue #4). Today: `agent inventory`,
 * what the agent would report — host facts and installed packages read from the
 * host's own files — printed, not sent.
 */
export function agentCommands(program: Command, fail: (err: unknown) => never) {
  const agent = program.command('agent').description('The host agent: collects what is installed on this machine (or a mounted root)');
  agent
    .command('inventory')
    .description('Print the facts and installed packages the agent would report (dpkg, rpm or apk), without sending them')
    .option('--root <dir>', 'inventory a mounted or chroot file system instead of this machine', '/')
    .option('--json', 'print JSON (the inventory as PUT /api/assets/{id}/inventory takes it, with facts and skipped packages)')
    .action(async (opts: { root: string; json?: boolean }) => {
      try {
        const c = await collectInventory({ root: opts.root });
        for (const w of c.warnings) console.error(`warning: ${w}`);
        if (opts.json) return printJson({ facts: c.facts, inventory: c.inventory, database: c.database, skipped: c.skipped });
        const f = c.facts;
        console.log(`${f.hostname ?? '(no hostname)'}: ${f.os.prettyName ?? f.os.id ?? 'unknown OS'} — ${c.inventory.ecosystem} ${c.inventory.distro} ${c.inventory.release}`);
        console.log(`${c.inventory.packages.length} installed package(s) from ${c.database.file}${c.skipped.length ? `, ${c.skipped.length} skipped` : ''}`);
        for (const s of c.skipped) console.log(`  skipped ${s.name} ${s.version}: ${s.reason}`);
      } catch (err) {
        if (err instanceof CollectError) fail(new Error(err.message));
        fail(err);
      }
    });
}
