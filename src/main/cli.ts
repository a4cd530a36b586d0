#!/usr/bin/env node
// The agent runs on every host: its commands load without the server's modules.
if (process.argv[2] === 'agent') {
  const { buildAgentProgram } = await import('../cli/agent-program.js');
  await buildAgentProgram().parseAsync(process.argv);
} else {
  const { buildProgram } = await import('../cli/program.js');
  await buildProgram().parseAsync(process.argv);
}
