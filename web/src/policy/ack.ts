/**
 * Whether the signed-in person has acknowledged the policy in force (STK-4),
 * shared by the site-wide banner and the policy page so that acknowledging
 * (or an admin's new version) updates both at once.
 */
import { useEffect, useSyncExternalStore } from 'react';
import type { Session } from '../components.js';
import { policyApi } from './api.js';

export interface AckState {
  /** The version in force. */
  version: number;
  acknowledged: boolean;
  /** The newest version this person acknowledged. */
  lastVersion: number | null;
}

let current: { userId: string; state: AckState | null } | null = null;
let inFlight: Promise<void> | null = null;
const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};

/** Auditors read the policy but are not bound to acknowledge it (the server refuses them); tokens are not people. */
export function bound(session: Session): string | null {
  const id = session.me.user?.id;
  if (!id || session.me.principal.kind !== 'user') return null;
  if (['auditor', 'agent'].includes(session.me.principal.role) || !session.can('user:read')) return null;
  return id;
}

/** Reads the list again (after acknowledging, or after a new version). */
export function refreshAck(userId: string): Promise<void> {
  const run = policyApi.acknowledgements().then(
    (list) => {
      const me = list.people.find((p) => p.userId === userId);
      current = { userId, state: me ? { version: list.version, acknowledged: me.current, lastVersion: me.version } : null };
      notify();
    },
    () => {
      // The banner is a courtesy: if the list cannot be read, show nothing rather than an error on every page.
      current = { userId, state: null };
      notify();
    },
  );
  inFlight = run.finally(() => {
    inFlight = null;
  });
  return run;
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/** null: not known yet, or nothing to acknowledge for this person. */
export function usePolicyAck(session: Session): AckState | null {
  const userId = bound(session);
  const snap = useSyncExternalStore(subscribe, () => current);
  useEffect(() => {
    if (userId && current?.userId !== userId && !inFlight) void refreshAck(userId);
  }, [userId]);
  return userId && snap?.userId === userId ? snap.state : null;
}
