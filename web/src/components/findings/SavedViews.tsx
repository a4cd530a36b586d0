/** Saved views of the register: pick one (yours or a shared one), save the current filters, delete one you may change. */
import { type FormEvent, useState } from 'react';
import { type FindingView, registerApi } from '../../api.js';
import { ErrorBanner, useLoad, useSession } from '../../components.js';

interface Props {
  /** The current filters as the API query string. */
  currentQuery: string;
  onPick: (view: FindingView) => void;
}

export function SavedViews({ currentQuery, onPick }: Props) {
  const { can } = useSession();
  const views = useLoad(() => registerApi.views(), 'views');
  const [picked, setPicked] = useState('');
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const list = views.data ?? [];
  const current = list.find((v) => v.id === picked);

  const pick = (id: string) => {
    setPicked(id);
    setNotice('');
    const v = list.find((x) => x.id === id);
    if (v) onPick(v);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const v = await registerApi.createView({ name: name.trim(), query: currentQuery, shared });
      views.set([...list, v].sort((a, b) => a.name.localeCompare(b.name)));
      setPicked(v.id);
      setSaving(false);
      setName('');
      setShared(false);
      setNotice(`Saved view "${v.name}"${v.shared ? ', shared with everyone' : ''}.`);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    if (!current) return;
    setError(null);
    try {
      await registerApi.deleteView(current.id);
      views.set(list.filter((v) => v.id !== current.id));
      setPicked('');
      setNotice(`Deleted view "${current.name}".`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-label="Views" className="inline">
      <div className="field">
        <label htmlFor="saved-view">Saved view</label>
        <select id="saved-view" value={picked} onChange={(e) => pick(e.target.value)}>
          <option value="">{list.length ? 'Choose a view…' : 'No saved views yet'}</option>
          {list.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
              {v.shared ? (v.mine ? ' (shared)' : ` (shared by ${v.owner?.name ?? 'someone'})`) : ''}
            </option>
          ))}
        </select>
      </div>
      {current && can('token:own') && (current.mine || can('asset:write')) && (
        <button type="button" className="link-button" onClick={remove}>
          Delete view
        </button>
      )}
      {!can('token:own') ? null : !saving ? (
        <button type="button" onClick={() => setSaving(true)}>
          Save view…
        </button>
      ) : (
        <form className="inline-form" onSubmit={save} aria-label="Save the current filters as a view">
          <label htmlFor="view-name">View name</label>
          <input id="view-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          {can('asset:write') && (
            <label className="checkbox">
              <input type="checkbox" style={{ width: 'auto' }} checked={shared} onChange={(e) => setShared(e.target.checked)} /> Share with everyone
            </label>
          )}
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" className="link-button" onClick={() => setSaving(false)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorBanner error={error ?? views.error} />
      {notice && (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      )}
    </section>
  );
}
