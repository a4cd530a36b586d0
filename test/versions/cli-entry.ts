// A program with only the version commands, so the spawn test exercises commander and process I/O
// without depending on how src/cli/program.ts wires command groups.
import { Command } from 'commander';
import { versionCommands } from '../../src/cli/versions.js';

const program = new Command('patchloop');
versionCommands(program);
await program.parseAsync(process.argv);
