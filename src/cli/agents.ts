import type { Command } from 'commander';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/** `patchloop agents`: the server's view of enrolled agents and the tokens that enrol them. */
export function agentAdminCommands(program: Command, run: Runner) {
  const agents = program.command('agents').description('Enrolled host agents and enrolment tokens');
  agents
    .command('list')
    .option('--status <status>', 'active|revoked|replaced|all', 'active')
    .option('--health <health>', 'ok|late|silent|never')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/agents', { query: { status: opts.status, health: opts.health } });
        if (opts.json) return printJson(r);
        console.log(table(r.items, [
          { key: 'hostname', label: 'HOST' },
          { key: 'health', label: 'HEALTH' },
          { key: 'lastCheckinAt', label: 'LAST CHECK-IN' },
          { key: 'agentVersion', label: 'VERSION' },
          { key: 'reports', label: 'REPORTS' },
          { key: 'status', label: 'STATUS' },
          { key: 'id', label: 'ID' },
        ]));
        const c = r.counts;
        console.log(`\n${c.ok} ok, ${c.late} late, ${c.silent} silent, ${c.never} never checked in`);
      }),
    );
  agents
    .command('revoke <id>')
    .description('Revoke an agent: its credential stops working at once')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .action((id, opts) =>
      run(async (client) => {
        const a = await call(client, 'POST', `/api/agents/${encodeURIComponent(id)}/revoke`, { body: { reason: opts.reason ?? null } });
        console.log(`agent ${a.hostname} (${a.id}) is ${a.status}`);
      }),
    );

  const tokens = agents.command('tokens').description('Enrolment tokens');
  tokens
    .command('create <name>')
    .description('Make an enrolment token (printed once) for `patchloop agent enroll --token`')
    .option('--max-uses <n>', 'how many hosts may enrol with it', '1')
    .option('--expires-in-hours <n>', 'validity', '24')
    .option('--environment <env>', 'environment of assets it creates', 'production')
    .option('--system-type <type>', 'system type of assets it creates', 'other')
    .option('--criticality <level>', 'business criticality of assets it creates', 'medium')
    .option('--exposure <exposure>', 'network exposure of assets it creates', 'internal')
    .option('--owner-team <id>', 'owning team of assets it creates')
    .option('--tag <tag...>', 'tags for assets it creates')
    .action((name, opts) =>
      run(async (client) => {
        const r = await call(client, 'POST', '/api/agents/enrolment-tokens', {
          body: {
            name,
            maxUses: Number(opts.maxUses),
            expiresInHours: Number(opts.expiresInHours),
            assetDefaults: { environment: opts.environment, systemType: opts.systemType, businessCriticality: opts.criticality, networkExposure: opts.exposure, ownerTeamId: opts.ownerTeam ?? null, tags: opts.tag ?? [] },
          },
        });
        console.log(`enrolment token "${r.info.name}" (${r.info.id}), ${r.info.maxUses} use(s), expires ${r.info.expiresAt}`);
        console.log(`token (shown once): ${r.token}`);
      }),
    );
  tokens.command('list').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const list = await call(client, 'GET', '/api/agents/enrolment-tokens');
      if (opts.json) return printJson(list);
      console.log(table(list, [
        { key: 'name', label: 'NAME' },
        { key: 'prefix', label: 'PREFIX' },
        { key: 'uses', label: 'USED' },
        { key: 'maxUses', label: 'MAX' },
        { key: 'expiresAt', label: 'EXPIRES' },
        { key: 'usable', label: 'USABLE' },
        { key: 'id', label: 'ID' },
      ]));
    }),
  );
  tokens.command('revoke <id>').action((id) =>
    run(async (client) => {
      const t = await call(client, 'DELETE', `/api/agents/enrolment-tokens/${encodeURIComponent(id)}`);
      console.log(`revoked enrolment token ${t.name} (${t.prefix}…)`);
    }),
  );
}
