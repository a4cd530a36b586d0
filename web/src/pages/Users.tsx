/** User accounts: list, create with a role, change role, disable and enable. */
import { type FormEvent, useState } from 'react';
import { type Role, type User, api } from '../api.js';
import { Badge, ErrorBanner, Field, Spinner, fieldErrorsOf, useFocusFirstField, useLoad, useSession } from '../components.js';
import { ROLES, formatTime, isRole, roleLabel } from '../labels.js';

export function UsersPage() {
  const { can } = useSession();
  const users = useLoad(() => api.listUsers(), 'users');
  const [creating, setCreating] = useState(false);
  const write = can('user:write');

  const replace = (u: User) => users.set((users.data ?? []).map((x) => (x.id === u.id ? u : x)));

  return (
    <div>
      <div className="page-head">
        <h2>Users</h2>
        {write && !creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New user
          </button>
        )}
      </div>
      {creating && (
        <CreateUser
          onCancel={() => setCreating(false)}
          onCreated={(u) => {
            users.set([...(users.data ?? []), u]);
            setCreating(false);
          }}
        />
      )}
      <ErrorBanner error={users.error} />
      {!users.data && users.loading && <Spinner />}
      {users.data && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">User name</th>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Teams</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <UserRow key={u.id} u={u} write={write} onChange={replace} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function UserRow({ u, write, onChange }: { u: User; write: boolean; onChange: (u: User) => void }) {
  const { me } = useSession();
  const [role, setRole] = useState<Role>(u.role);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const self = me.user?.id === u.id;

  const patch = async (input: { role?: Role; disabled?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await api.updateUser(u.id, input);
      setRole(updated.role);
      onChange(updated);
    } catch (err) {
      setError(err);
      setRole(u.role);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr className={u.disabled ? 'row-muted' : undefined}>
      <td>
        {u.username} {u.sso && <Badge kind="info">SSO</Badge>}
        {self && <span className="muted small"> (you)</span>}
      </td>
      <td>{u.displayName}</td>
      <td>{u.email}</td>
      <td>
        {write && !self ? (
          <div className="inline">
            <label className="visually-hidden" htmlFor={`role-${u.id}`}>
              Role of {u.username}
            </label>
            <select id={`role-${u.id}`} value={role} onChange={(e) => isRole(e.target.value) && setRole(e.target.value)} disabled={busy}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
            {role !== u.role && (
              <button type="button" onClick={() => patch({ role })} disabled={busy}>
                Save role
              </button>
            )}
          </div>
        ) : (
          roleLabel(u.role)
        )}
        <ErrorBanner error={error} />
      </td>
      <td>{u.teams.map((t) => t.name).join(', ')}</td>
      <td className="nowrap">{formatTime(u.lastLoginAt) || <span className="muted">never</span>}</td>
      <td>
        {u.disabled ? <Badge kind="muted">Disabled</Badge> : <Badge kind="ok">Active</Badge>}{' '}
        {write && !self && (
          <button type="button" className={u.disabled ? undefined : 'danger'} onClick={() => patch({ disabled: !u.disabled })} disabled={busy}>
            {u.disabled ? 'Enable' : 'Disable'}
            <span className="visually-hidden"> {u.username}</span>
          </button>
        )}
      </td>
    </tr>
  );
}

function CreateUser({ onCancel, onCreated }: { onCancel: () => void; onCreated: (u: User) => void }) {
  const formRef = useFocusFirstField<HTMLFormElement>();
  const [f, setF] = useState({ username: '', displayName: '', email: '', role: 'system_owner' as Role, password: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(
        await api.createUser({
          username: f.username.trim(),
          displayName: f.displayName.trim() || undefined,
          email: f.email.trim() || null,
          role: f.role,
          password: f.password || undefined,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={formRef} className="card form-grid" onSubmit={submit} aria-label="New user">
      <h3 className="span-all">New user</h3>
      <div className="span-all">
        <ErrorBanner error={error} shownFields={['username', 'displayName', 'email', 'role', 'password']} />
      </div>
      <Field label="User name" error={fe.username}>
        {(p) => <input {...p} value={f.username} onChange={set('username')} required autoComplete="off" />}
      </Field>
      <Field label="Display name" error={fe.displayName}>
        {(p) => <input {...p} value={f.displayName} onChange={set('displayName')} />}
      </Field>
      <Field label="E-mail" error={fe.email}>
        {(p) => <input {...p} type="email" value={f.email} onChange={set('email')} />}
      </Field>
      <Field label="Role" error={fe.role}>
        {(p) => (
          <select {...p} value={f.role} onChange={set('role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Initial password" error={fe.password} hint="At least 12 characters. Leave empty for an account that signs in only through SSO.">
        {(p) => <input {...p} type="password" value={f.password} onChange={set('password')} autoComplete="new-password" />}
      </Field>
      <div className="form-actions span-all">
        <button type="submit" className="primary" disabled={busy}>
          Create user
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
