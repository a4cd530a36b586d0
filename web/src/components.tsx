/** Small shared building blocks: errors, labelled fields, data loading, diffs. */
import { type ReactNode, createContext, useCallback, useContext, useEffect, useId, useRef, useState } from 'react';
import { ApiError, type Me, type Permission, errorMessage } from './api.js';
import { fieldLabel, label } from './labels.js';

// ---- session -------------------------------------------------------------

export interface Session {
  me: Me;
  can(perm: Permission): boolean;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in app');
  return s;
}

// ---- loading -------------------------------------------------------------

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
  set(data: T): void;
}

/** Runs `load` when `key` changes; ignores answers that arrive after a newer request started. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: key and tick are the triggers
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, set: setData };
}

/**
 * For forms that open when the user presses a button ("New user", "Edit"):
 * moves focus to the form's first field once, so keyboard users land in it.
 */
export function useFocusFirstField<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);
  return ref;
}

// ---- errors --------------------------------------------------------------

/** The error's detail and any field errors not shown next to a field. */
export function ErrorBanner({ error, shownFields = [] }: { error: unknown; shownFields?: readonly string[] }) {
  if (!error) return null;
  const all = error instanceof ApiError ? Object.entries(error.fieldErrors()) : [];
  const fields = all.filter(([f]) => !shownFields.includes(f));
  const requestId = error instanceof ApiError ? error.problem.requestId : '';
  // When every problem is shown at its field, say so instead of repeating the technical summary.
  const detail = all.length > 0 && fields.length === 0 ? 'Correct the fields marked below and try again.' : errorMessage(error);
  return (
    <div className="error-banner" role="alert">
      <p>
        <strong>{error instanceof ApiError ? error.problem.title : 'Error'}:</strong> {detail}
      </p>
      {fields.length > 0 && (
        <ul>
          {fields.map(([f, msgs]) => (
            <li key={f}>
              <strong>{fieldLabel(f)}</strong> {msgs.join('; ')}
            </li>
          ))}
        </ul>
      )}
      {requestId && <p className="muted small">Request id {requestId}</p>}
    </div>
  );
}

export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  return error instanceof ApiError ? error.fieldErrors() : {};
}

// ---- form fields ---------------------------------------------------------

interface FieldProps {
  label: string;
  error?: string[] | undefined;
  hint?: ReactNode;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined }) => ReactNode;
  className?: string;
}

/** A label, the control, a hint and the field's errors, wired together for screen readers. */
export function Field({ label, error, hint, children, className }: FieldProps) {
  const id = useId();
  const describedBy = [error?.length ? `${id}-err` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error?.length ? ' has-error' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': !!error?.length, 'aria-describedby': describedBy })}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error?.length ? (
        <span className="field-error" id={`${id}-err`}>
          {error.join('; ')}
        </span>
      ) : null}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" aria-live="polite">
      {label}
    </p>
  );
}

export function Badge({ kind, children }: { kind: 'warn' | 'ok' | 'muted' | 'danger' | 'info'; children: ReactNode }) {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

// ---- before → after ------------------------------------------------------

const ENUM_FIELDS = new Set(['environment', 'systemType', 'businessCriticality', 'networkExposure', 'osFamily', 'lifecycle', 'role']);

const show = (v: unknown, field = ''): string => {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.length ? v.map((x) => show(x)).join(', ') : '—';
  if (typeof v === 'object') {
    const o = v as { name?: unknown; type?: unknown };
    if (typeof o.name === 'string') return typeof o.type === 'string' ? `${o.name} (${o.type})` : o.name;
    return JSON.stringify(v);
  }
  if (typeof v === 'string' && ENUM_FIELDS.has(field)) return label(v);
  return String(v);
};

const IGNORED = new Set(['updatedAt', 'version', 'createdAt', 'id']);
/** Asset fields first, in form order; anything else after, alphabetically. */
const ORDER = ['hostname', 'fqdn', 'ipAddresses', 'osFamily', 'osName', 'osVersion', 'environment', 'systemType', 'businessCriticality', 'networkExposure', 'department', 'location', 'owner', 'maintenanceGroup', 'tags', 'supplier', 'description', 'lifecycle', 'decommissionedAt', 'reason'];
const rank = (k: string) => {
  const i = ORDER.indexOf(k);
  return i < 0 ? ORDER.length : i;
};

/** The fields that differ between two snapshots, as a before → after table. */
export function Diff({ before, after }: { before: unknown; after: unknown }) {
  const b = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => !IGNORED.has(k) && JSON.stringify(b[k] ?? null) !== JSON.stringify(a[k] ?? null))
    .sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
  if (keys.length === 0) return <span className="muted">no field changes</span>;
  const created = before === null || before === undefined;
  return (
    <table className="diff">
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th scope="row">{fieldLabel(k)}</th>
            {!created && <td className="diff-before">{show(b[k], k)}</td>}
            {!created && (
              <td className="diff-arrow" aria-label="changed to">
                →
              </td>
            )}
            <td className="diff-after">{show(a[k], k)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A button that copies text and says so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
      window.prompt('Copy this value:', text);
    }
  };
  return (
    <button type="button" onClick={copy}>
      {copied ? 'Copied' : label}
    </button>
  );
}

/** Table head whose sortable columns are buttons; aria-sort tells assistive technology the current order. */
export function SortableHead({
  columns,
  sort,
  order,
  onSort,
}: {
  columns: readonly { key: string; label: string; sort?: string }[];
  sort: string;
  order: 'asc' | 'desc';
  onSort: (sort: string) => void;
}) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c.key} scope="col" aria-sort={c.sort && sort === c.sort ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
            {c.sort ? (
              <button type="button" className="sort" onClick={() => onSort(c.sort as string)}>
                {c.label}
                <span aria-hidden="true" className="sort-mark">
                  {sort === c.sort ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
                </span>
              </button>
            ) : (
              c.label
            )}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/**
 * A cursor-paged list: the first page reloads when `key` changes; "load more"
 * appends the following pages and starts over with a new key.
 */
export function usePagedList<P extends { items: unknown[]; nextCursor: string | null }>(fetchPage: (cursor?: string) => Promise<P>, key: string) {
  const first = useLoad(() => fetchPage(), key);
  const [more, setMore] = useState<{ items: P['items']; nextCursor: string | null } | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new query starts from the first page
  useEffect(() => {
    setMore(null);
    setMoreError(null);
  }, [key]);
  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])] as P['items'];
  const nextCursor = more ? more.nextCursor : (first.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await fetchPage(nextCursor);
      setMore({ items: [...(more?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (err) {
      setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  };
  return { first, items, nextCursor, loadMore, loadingMore, moreError };
}
