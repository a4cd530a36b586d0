/** Teams and groups: list, create, edit details and members, delete when they own nothing. */
import { type FormEvent, useState } from 'react';
import { type Team, type User, api, withQuery } from '../api.js';
import { ErrorBanner, Field, Spinner, fieldErrorsOf, useFocusFirstField, useLoad, useSession } from '../components.js';
import { Link } from '../router.js';

export function TeamsPage() {
  const { can } = useSession();
  const teams = useLoad(() => api.listTeams(), 'teams');
  const users = useLoad(() => api.listUsers(), 'users');
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const write = can('team:write');

  const saved = (t: Team) => {
    const list = teams.data ?? [];
    teams.set(list.some((x) => x.id === t.id) ? list.map((x) => (x.id === t.id ? t : x)) : [...list, t]);
    setEditing(null);
  };

  const remove = async (t: Team) => {
    if (!window.confirm(`Delete the team "${t.name}"?`)) return;
    setDeleteError(null);
    try {
      await api.deleteTeam(t.id);
      teams.set((teams.data ?? []).filter((x) => x.id !== t.id));
    } catch (err) {
      setDeleteError(err);
    }
  };

  return (
    <div>
      <div className="page-head">
        <h2>Teams</h2>
        {write && editing === null && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New team
          </button>
        )}
      </div>
      {editing === 'new' && <TeamForm users={users.data ?? []} onSaved={saved} onCancel={() => setEditing(null)} />}
      <ErrorBanner error={teams.error ?? deleteError} />
      {!teams.data && teams.loading && <Spinner />}
      {teams.data && teams.data.length === 0 && <p className="empty">No teams yet.</p>}
      {editing && editing !== 'new' && (
        <TeamForm
          key={editing}
          team={teams.data?.find((t) => t.id === editing)}
          users={users.data ?? []}
          onSaved={saved}
          onCancel={() => setEditing(null)}
        />
      )}
      {teams.data && teams.data.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Description</th>
                <th scope="col">E-mail</th>
                <th scope="col">Members</th>
                <th scope="col">Assets</th>
                {write && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {teams.data.map((t) => (
                <tr key={t.id}>
                  <td>
                    <strong>{t.name}</strong>
                  </td>
                  <td className="pre">{t.description}</td>
                  <td>{t.email}</td>
                  <td>{t.members.length ? t.members.map((m) => m.displayName || m.username).join(', ') : <span className="muted">none</span>}</td>
                  <td className="num">
                    <Link to={withQuery('/assets', { ownerTeamId: t.id })}>{t.assetCount}</Link>
                  </td>
                  {write && (
                    <td>
                      <div className="inline">
                        <button type="button" onClick={() => setEditing(t.id)}>
                          Edit<span className="visually-hidden"> {t.name}</span>
                        </button>
                        {t.assetCount === 0 && (
                          <button type="button" className="danger" onClick={() => remove(t)}>
                            Delete<span className="visually-hidden"> {t.name}</span>
                          </button>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function TeamForm({ team, users, onSaved, onCancel }: { team?: Team; users: User[]; onSaved: (t: Team) => void; onCancel: () => void }) {
  const formRef = useFocusFirstField<HTMLFormElement>();
  const [name, setName] = useState(team?.name ?? '');
  const [description, setDescription] = useState(team?.description ?? '');
  const [email, setEmail] = useState(team?.email ?? '');
  const [managerUserId, setManager] = useState(team?.managerUserId ?? '');
  const [members, setMembers] = useState<Set<string>>(new Set(team?.members.map((m) => m.id) ?? []));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);

  const toggle = (id: string) =>
    setMembers((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { name: name.trim(), description: description.trim() || null, email: email.trim() || null, managerUserId: managerUserId || null, memberIds: [...members] };
    try {
      onSaved(team ? await api.updateTeam(team.id, body) : await api.createTeam(body));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form ref={formRef} className="card form-grid" onSubmit={submit} aria-label={team ? `Edit team ${team.name}` : 'New team'}>
      <h3 className="span-all">{team ? `Edit ${team.name}` : 'New team'}</h3>
      <div className="span-all">
        <ErrorBanner error={error} shownFields={['name', 'description', 'email', 'managerUserId']} />
      </div>
      <Field label="Team name" error={fe.name}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="E-mail" error={fe.email}>
        {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Description" error={fe.description} className="span-all">
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label="Manager" error={fe.managerUserId}>
        {(p) => (
          <select {...p} value={managerUserId} onChange={(e) => setManager(e.target.value)}>
            <option value="">— none —</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName || u.username}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset className="span-all checkbox-list">
        <legend>Members ({members.size})</legend>
        {users.map((u) => (
          <label key={u.id} className="checkbox">
            <input type="checkbox" checked={members.has(u.id)} onChange={() => toggle(u.id)} />
            {u.displayName && u.displayName !== u.username ? `${u.displayName} (${u.username})` : u.username}
          </label>
        ))}
        {fe.memberIds && <span className="field-error">{fe.memberIds.join('; ')}</span>}
      </fieldset>
      <div className="form-actions span-all">
        <button type="submit" className="primary" disabled={busy}>
          {team ? 'Save team' : 'Create team'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
