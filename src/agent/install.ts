import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../lib/paths.js';

/**
 * `patchloop agent install`: a systemd service that runs `agent run`. The
 * agent reads package databases that every user may read, so by default it
 * runs as a transient unprivileged user (DynamicUser) that owns only its
 * state directory, with the rest of the file system read-only to it.
 */
export interface InstallOptions {
  stateDir: string;
  unitDir: string;
  /** A fixed account instead of DynamicUser (e.g. when the rpm database needs a group). */
  user?: string;
  enable: boolean;
  nodePath?: string;
  cliPath?: string;
}

export const UNIT_NAME = 'patchloop-agent.service';

const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);

export function unitFile(o: Omit<InstallOptions, 'unitDir' | 'enable'>): string {
  const node = o.nodePath ?? process.execPath;
  const cli = o.cliPath ?? path.join(packageRoot(), 'bin', 'patchloop.js');
  const systemdState = o.stateDir.startsWith('/var/lib/') ? o.stateDir.slice('/var/lib/'.length) : null;
  const identity = o.user
    ? [`User=${o.user}`, `Group=${o.user}`]
    : ['DynamicUser=yes'];
  const state = systemdState
    ? [`StateDirectory=${systemdState}`, 'StateDirectoryMode=0700']
    : [`ReadWritePaths=${quote(o.stateDir)}`];
  return [
    '# Written by `patchloop agent install`.',
    '[Unit]',
    'Description=patchloop agent: reports installed software to the patchloop server',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${quote(node)} ${quote(cli)} agent run --state-dir ${quote(o.stateDir)}`,
    ...identity,
    ...state,
    'Restart=always',
    'RestartSec=30',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'CapabilityBoundingSet=',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function install(o: InstallOptions): { unit: string; enabled: boolean; note: string | null } {
  if (!fs.existsSync(path.join(o.stateDir, 'agent.json'))) {
    throw new Error(`${o.stateDir} holds no enrolment; run \`patchloop agent enroll --state-dir ${o.stateDir} …\` first`);
  }
  fs.mkdirSync(o.unitDir, { recursive: true });
  const unit = path.join(o.unitDir, UNIT_NAME);
  fs.writeFileSync(unit, unitFile(o), { mode: 0o644 });
  if (!o.enable) return { unit, enabled: false, note: null };
  const sc = (...args: string[]) => spawnSync('systemctl', args, { encoding: 'utf8' });
  const reload = sc('daemon-reload');
  if (reload.error || reload.status !== 0) {
    return { unit, enabled: false, note: `systemctl is not usable here (${reload.error?.message ?? reload.stderr.trim()}); start the agent with: patchloop agent run --state-dir ${o.stateDir}` };
  }
  const en = sc('enable', '--now', UNIT_NAME);
  if (en.status !== 0) throw new Error(`systemctl enable --now ${UNIT_NAME} failed: ${en.stderr.trim()}`);
  return { unit, enabled: true, note: null };
}
