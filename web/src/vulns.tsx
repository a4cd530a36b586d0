/** Shared bits of the vulnerability and findings pages: score badges, the safe link, and "Re-evaluate all". */
import { useEffect, useRef, useState } from 'react';
import { api, type MatchRun } from './api.js';
import { Badge, ErrorBanner, useSession } from './components.js';

export function severityKind(severity: string | null): 'danger' | 'warn' | 'info' | 'muted' {
  switch (severity) {
    case 'critical':
    case 'high':
      return 'danger';
    case 'medium':
      return 'warn';
    case 'low':
      return 'info';
    default:
      return 'muted';
  }
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none'] as const;

export function Cvss({ score, severity }: { score: number | null; severity: string | null }) {
  if (score === null) return <span className="muted">—</span>;
  return (
    <span className="nowrap">
      <strong>{score.toFixed(1)}</strong> {severity && <Badge kind={severityKind(severity)}>{severity.charAt(0).toUpperCase() + severity.slice(1)}</Badge>}
    </span>
  );
}

export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export function Epss({ epss }: { epss: { score: number; percentile: number | null } | null }) {
  if (!epss) return <span className="muted">—</span>;
  return (
    <span className="nowrap" title="Probability of exploitation activity in the next 30 days (FIRST EPSS)">
      {percent(epss.score, 2)}
      {epss.percentile !== null && <span className="muted small"> · percentile {Math.floor(epss.percentile * 1000) / 10}</span>}
    </span>
  );
}

export function KevBadge({ kev }: { kev: { dateAdded: string; ransomware: boolean | null } | null }) {
  if (!kev) return null;
  return (
    <Badge kind="danger">
      KEV<span className="visually-hidden">: known exploited, added {kev.dateAdded}</span>
      {kev.ransomware ? ' · ransomware' : ''}
    </Badge>
  );
}

/** Only http(s) references become links; anything else is shown as text. */
export function SafeLink({ url }: { url: string }) {
  let ok = false;
  try {
    const u = new URL(url);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  return ok ? (
    <a href={url} rel="noopener noreferrer nofollow" target="_blank">
      {url}
    </a>
  ) : (
    <code>{url}</code>
  );
}

/** Starts a full matching run (asset:import) and shows its progress until it ends; `onDone` lets the page reload. */
export function ReevaluateButton({ onDone }: { onDone?: () => void }) {
  const { can } = useSession();
  const [run, setRun] = useState<MatchRun | null>(null);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const doneRef = useRef(onDone);
  doneRef.current = onDone;
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  if (!can('asset:import')) return null;

  const poll = (id: string) => {
    timer.current = setTimeout(async () => {
      try {
        const r = await api.getMatchRun(id);
        setRun(r);
        if (r.status === 'queued' || r.status === 'running') poll(id);
        else doneRef.current?.();
      } catch (err) {
        setError(err);
      }
    }, 500);
  };
  const start = async () => {
    setError(null);
    try {
      const r = await api.startMatchRun();
      setRun(r);
      if (r.status === 'queued' || r.status === 'running') poll(r.id);
      else doneRef.current?.();
    } catch (err) {
      setError(err);
    }
  };
  const busy = run?.status === 'queued' || run?.status === 'running';
  const stats = run?.status === 'done' && run.stats && typeof run.stats === 'object' ? (run.stats as Record<string, number>) : null;
  return (
    <div className="reevaluate">
      <button type="button" onClick={start} disabled={busy}>
        {busy ? 'Re-evaluating…' : 'Re-evaluate all'}
      </button>
      {run && (
        <div className="run-status" aria-live="polite">
          <label>
            <span className="visually-hidden">Matching progress</span>
            <progress max={100} value={run.status === 'done' ? 100 : run.progress} />
          </label>{' '}
          <span className="small">
            {run.status === 'done'
              ? stats
                ? `Done: ${stats.opened ?? 0} opened, ${stats.reopened ?? 0} reopened, ${stats.resolved ?? 0} resolved, ${stats.stillOpen ?? 0} still open`
                : 'Done'
              : run.status === 'failed'
                ? `Failed: ${run.error ?? 'unknown error'}`
                : `${Math.round(run.progress)}% ${run.phase ?? run.status}`}
          </span>
        </div>
      )}
      <ErrorBanner error={error} />
    </div>
  );
}
