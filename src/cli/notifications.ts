import fs from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

/**
 * `patchloop notifications list|read`, `patchloop webhooks list|add|update|remove|test`
 * and `patchloop escalations run|list` (issue #6 §4). Notifications are a
 * person's: use PATCHLOOP_TOKEN with a token of your own account.
 */
const digits = (what: string) => (v: string, previous: string[] = []) => {
  if (!/^[0-9]{1,18}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a ${what} id (digits)`);
  return [...previous, v];
};
const uuid = (v: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new InvalidArgumentError(`"${v}" is not a webhook id (a UUID, see "patchloop webhooks list")`);
  return v.toLowerCase();
};
const limit = (max: number) => (v: string) => {
  if (!/^[0-9]{1,4}$/.test(v) || Number(v) < 1 || Number(v) > max) throw new InvalidArgumentError(`must be a number from 1 to ${max}`);
  return v;
};

/** The URL is a secret: --url-stdin keeps it out of the shell history and the process list. */
function urlOf(opts: { url?: string; urlStdin?: boolean }): string | undefined {
  if (opts.url !== undefined && opts.urlStdin) throw new Error('give the URL with --url or --url-stdin, not both');
  if (opts.urlStdin) return fs.readFileSync(0, 'utf8').trim();
  return opts.url;
}

export function notificationCommands(program: Command, run: Runner) {
  const n = program.command('notifications').description('Your in-app notifications (escalations, raised priorities)');
  n.command('list')
    .description('Newest first')
    .option('--unread', 'only unread ones')
    .option('--limit <n>', 'at most this many (1–200)', limit(200), '50')
    .option('--json', 'print JSON')
    .action((opts: { unread?: boolean; limit: string; json?: boolean }) =>
      run(async (client) => {
        const page = await call(client, 'GET', '/api/notifications', { query: { unread: opts.unread ? 'true' : undefined, limit: opts.limit } });
        if (opts.json) return printJson(page);
        console.log(table(page.items.map((x: any) => ({ ...x, read: x.readAt ? 'yes' : 'NEW' })), [
          { key: 'id', label: 'ID' }, { key: 'createdAt', label: 'WHEN' }, { key: 'read', label: 'READ' }, { key: 'kind', label: 'KIND' }, { key: 'title', label: 'TITLE', max: 70 }, { key: 'link', label: 'LINK' },
        ]));
        console.log(`${page.unread} unread`);
      }),
    );
  n.command('read [ids...]')
    .description('Mark notifications read (or all of them with --all)')
    .option('--all', 'every unread notification')
    .action((ids: string[], opts: { all?: boolean }) =>
      run(async (client) => {
        if (opts.all && ids.length) throw new Error('give ids or --all, not both');
        if (opts.all) return console.log(`${(await call(client, 'POST', '/api/notifications/read-all')).marked} notification(s) marked read`);
        if (!ids.length) throw new Error('name the notifications to mark read, or use --all');
        const checked = ids.reduce<string[]>((acc, v) => digits('notification')(v, acc), []);
        for (const id of checked) await call(client, 'POST', `/api/notifications/${id}/read`);
        console.log(`${checked.length} notification(s) marked read`);
      }),
    );

  const w = program.command('webhooks').description('Chat webhooks for escalations (Slack- or Teams-compatible; administrators)');
  w.command('list')
    .description('Webhooks, URLs masked')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(async (client) => {
        const rows = await call(client, 'GET', '/api/notification-webhooks');
        if (opts.json) return printJson(rows);
        console.log(table(rows.map((r: any) => ({ ...r, on: r.enabled ? 'yes' : 'no', last: r.lastDelivery ? `${r.lastDelivery.status} ${r.lastDelivery.at}` : '' })), [
          { key: 'id', label: 'ID' }, { key: 'name', label: 'NAME' }, { key: 'format', label: 'FORMAT' }, { key: 'on', label: 'ENABLED' }, { key: 'urlHint', label: 'URL' }, { key: 'last', label: 'LAST DELIVERY' },
        ]));
      }),
    );
  w.command('add')
    .description('Add a webhook (the URL is stored encrypted and never shown again)')
    .requiredOption('--name <name>', 'what the channel is, e.g. "#vuln-alerts"')
    .addOption(new Option('--format <format>', 'payload shape').choices(['slack', 'teams']).makeOptionMandatory())
    .option('--url <url>', 'the webhook URL')
    .option('--url-stdin', 'read the URL from standard input')
    .option('--disabled', 'add it switched off')
    .option('--json', 'print JSON')
    .action((opts: { name: string; format: string; url?: string; urlStdin?: boolean; disabled?: boolean; json?: boolean }) =>
      run(async (client) => {
        const url = urlOf(opts);
        if (url === undefined) throw new Error('give the URL with --url or --url-stdin');
        const r = await call(client, 'POST', '/api/notification-webhooks', { body: { name: opts.name, url, format: opts.format, enabled: !opts.disabled } });
        if (opts.json) return printJson(r);
        console.log(`webhook ${r.id} "${r.name}" added (${r.format}, ${r.urlHint})`);
      }),
    );
  w.command('update <id>')
    .description('Rename, re-point, change the format, enable or disable')
    .option('--name <name>', 'new name')
    .addOption(new Option('--format <format>', 'payload shape').choices(['slack', 'teams']))
    .option('--url <url>', 'a new URL')
    .option('--url-stdin', 'read a new URL from standard input')
    .addOption(new Option('--enable', 'switch it on').conflicts('disable'))
    .option('--disable', 'switch it off')
    .option('--json', 'print JSON')
    .action((id: string, opts: { name?: string; format?: string; url?: string; urlStdin?: boolean; enable?: boolean; disable?: boolean; json?: boolean }) =>
      run(async (client) => {
        const body = { name: opts.name, format: opts.format, url: urlOf(opts), enabled: opts.enable ? true : opts.disable ? false : undefined };
        const r = await call(client, 'PATCH', `/api/notification-webhooks/${uuid(id)}`, { body });
        if (opts.json) return printJson(r);
        console.log(`webhook ${r.id} "${r.name}" updated (${r.format}, ${r.enabled ? 'enabled' : 'disabled'}, ${r.urlHint})`);
      }),
    );
  w.command('remove <id>')
    .description('Remove a webhook')
    .action((id: string) =>
      run(async (client) => {
        await call(client, 'DELETE', `/api/notification-webhooks/${uuid(id)}`);
        console.log(`webhook ${id} removed`);
      }),
    );
  w.command('test <id>')
    .description('Post a test message now (exit code 1 when it fails)')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      run(async (client) => {
        const r = await call(client, 'POST', `/api/notification-webhooks/${uuid(id)}/test`);
        if (opts.json) printJson(r);
        else console.log(r.ok ? `test message delivered to "${r.webhook.name}"` : `test message to "${r.webhook.name}" failed: ${r.error}`);
        return r.ok ? 0 : 1;
      }),
    );

  const e = program.command('escalations').description('Escalation of findings near or past their due date (policy rules)');
  e.command('run')
    .description('Apply the escalation rules now (the server does it every 15 minutes)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(async (client) => {
        const r = await call(client, 'POST', '/api/escalations/run');
        if (opts.json) return printJson(r);
        for (const rule of r.rules) console.log(`${rule.name}: ${rule.findings} finding(s)`);
        console.log(`${r.recipients} recipient(s); in-app ${r.inApp}; e-mails ${r.emails.sent}/${r.emails.queued} sent (${r.emails.failed} failed); webhooks ${r.webhooks.sent}/${r.webhooks.queued} sent (${r.webhooks.failed} failed)`);
      }),
    );
  e.command('list')
    .description('The escalation log, newest first')
    .option('--finding <id>', 'only this finding', (v: string) => (digits('finding')(v)[0] as string))
    .option('--limit <n>', 'at most this many (1–500)', limit(500), '100')
    .option('--json', 'print JSON')
    .action((opts: { finding?: string; limit: string; json?: boolean }) =>
      run(async (client) => {
        const page = await call(client, 'GET', '/api/escalations', { query: { findingId: opts.finding, limit: opts.limit } });
        if (opts.json) return printJson(page);
        console.log(table(page.items.map((x: any) => ({
          ...x, due: x.dueAt?.slice(0, 10) ?? '', to: x.recipients.map((r: any) => r.name).join(', '),
          delivery: x.deliveries.map((d: any) => `${d.channel}:${d.status}`).join(' '),
        })), [
          { key: 'sentAt', label: 'WHEN' }, { key: 'rule', label: 'RULE' }, { key: 'findingId', label: 'FINDING' }, { key: 'hostname', label: 'HOST' }, { key: 'vulnerabilityId', label: 'VULNERABILITY' },
          { key: 'due', label: 'DUE' }, { key: 'to', label: 'TO', max: 50 }, { key: 'delivery', label: 'DELIVERY', max: 40 },
        ]));
      }),
    );
}
