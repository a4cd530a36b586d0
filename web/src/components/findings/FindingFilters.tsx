/** The register's filter controls: every control changes the URL, so a filtered list can be bookmarked, shared or saved as a view. */
import { type FormEvent, useEffect, useState } from 'react';
import type { Team } from '../../api.js';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, SYSTEM_TYPES, label } from '../../labels.js';
import { FILTER_KEYS, type FilterKey, PRIORITY_PRESETS, SEVERITY_LABEL, SEVERITY_OPTIONS, SLA_PRESETS, SOURCE_OPTIONS, STATUS_OPTIONS, type UrlState, describeValues } from './query.js';

interface Props {
  state: UrlState;
  departments: string[];
  teams: Team[];
  onChange: (patch: UrlState) => void;
  onClear: () => void;
}

export function FindingFilters({ state, departments, teams, onChange, onClear }: Props) {
  const [text, setText] = useState({ q: state.q ?? '', package: state.package ?? '', vulnerabilityId: state.vulnerabilityId ?? '', epssMin: state.epssMin ?? '' });
  useEffect(() => setText({ q: state.q ?? '', package: state.package ?? '', vulnerabilityId: state.vulnerabilityId ?? '', epssMin: state.epssMin ?? '' }), [state.q, state.package, state.vulnerabilityId, state.epssMin]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange({ q: text.q.trim() || undefined, package: text.package.trim() || undefined, vulnerabilityId: text.vulnerabilityId.trim() || undefined, epssMin: text.epssMin.trim() || undefined });
  };
  const severities = new Set((state.severity ?? '').split(',').filter(Boolean));
  const toggleSeverity = (s: string, on: boolean) => {
    const next = SEVERITY_OPTIONS.filter((x) => (x === s ? on : severities.has(x)));
    onChange({ severity: next.length ? next.join(',') : undefined });
  };
  const active = FILTER_KEYS.filter((k: FilterKey) => state[k] !== undefined && !(k === 'status' && state.status === 'open')).length;

  const select = (key: FilterKey, title: string, values: readonly string[], labelOf: (v: string) => string = label, any = 'Any') => (
    <div className="field">
      <label htmlFor={`f-${key}`}>{title}</label>
      <select id={`f-${key}`} value={state[key] ?? ''} onChange={(e) => onChange({ [key]: e.target.value || undefined })}>
        <option value="">{any}</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {labelOf(v)}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <form className="filters" onSubmit={submit} aria-label="Filter findings">
      <div className="field">
        <label htmlFor="f-q">Search</label>
        <input id="f-q" type="search" value={text.q} maxLength={200} placeholder="CVE, title, host, package" onChange={(e) => setText({ ...text, q: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={state.status ?? 'open'} onChange={(e) => onChange({ status: e.target.value === 'open' ? undefined : e.target.value })}>
          {STATUS_OPTIONS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="field" style={{ border: 0, padding: 0, margin: '0 0 0.6rem', display: 'flex', flexWrap: 'wrap', gap: '0.15rem 0.8rem' }}>
        <legend style={{ fontWeight: 600, padding: 0, marginBottom: '0.25rem' }}>Severity</legend>
        {SEVERITY_OPTIONS.map((s) => (
          <label key={s} className="checkbox">
            <input type="checkbox" style={{ width: 'auto' }} checked={severities.has(s)} onChange={(e) => toggleSeverity(s, e.target.checked)} /> {SEVERITY_LABEL[s]}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="f-kev">Known exploited (KEV)</label>
        <select id="f-kev" value={state.kev ?? ''} onChange={(e) => onChange({ kev: e.target.value || undefined })}>
          <option value="">Any</option>
          <option value="true">In CISA KEV</option>
          <option value="false">Not in KEV</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-epss">EPSS at least</label>
        <input id="f-epss" type="number" min={0} max={1} step={0.01} value={text.epssMin} onChange={(e) => setText({ ...text, epssMin: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="f-kevdue">KEV due by</label>
        <input id="f-kevdue" type="date" value={state.kevDueBefore ?? ''} onChange={(e) => onChange({ kevDueBefore: e.target.value || undefined })} />
      </div>
      <Preset id="f-priority" title="Priority" presets={PRIORITY_PRESETS} current={state.priority} onChange={(priority) => onChange({ priority })} />
      <Preset id="f-sla" title="SLA state" presets={SLA_PRESETS} current={state.slaState} onChange={(slaState) => onChange({ slaState })} />
      <div className="field">
        <label htmlFor="f-emergency">Emergency</label>
        <select id="f-emergency" value={state.emergency ?? ''} onChange={(e) => onChange({ emergency: e.target.value || undefined })}>
          <option value="">Any</option>
          <option value="true">Emergencies only</option>
          <option value="false">No emergencies</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-due">Due on or before</label>
        <input id="f-due" type="date" value={state.dueBefore ?? ''} onChange={(e) => onChange({ dueBefore: e.target.value || undefined })} />
      </div>
      <div className="field">
        <span style={{ fontWeight: 600, fontSize: '0.9rem' }}>Owner</span>
        <label className="checkbox">
          <input type="checkbox" style={{ width: 'auto' }} checked={state.mine === 'true'} onChange={(e) => onChange({ mine: e.target.checked ? 'true' : undefined })} /> Only my assets
        </label>
      </div>
      {select('source', 'Source', SOURCE_OPTIONS, (v) => (v === 'engine' ? 'patchloop engine' : v))}
      {select('environment', 'Environment', ENVIRONMENTS)}
      {select('systemType', 'System type', SYSTEM_TYPES)}
      {select('department', 'Department', departments, (v) => v)}
      {select('owner', 'Owner team', teams.map((t) => t.id), (id) => teams.find((t) => t.id === id)?.name ?? id)}
      {select('networkExposure', 'Exposure', EXPOSURES)}
      {select('businessCriticality', 'Criticality', CRITICALITIES)}
      <div className="field">
        <label htmlFor="f-vuln">Vulnerability id</label>
        <input id="f-vuln" value={text.vulnerabilityId} maxLength={100} placeholder="CVE-…" onChange={(e) => setText({ ...text, vulnerabilityId: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="f-package">Package (exact name)</label>
        <input id="f-package" value={text.package} maxLength={200} onChange={(e) => setText({ ...text, package: e.target.value })} />
      </div>
      <div className="filter-buttons">
        <button type="submit">Apply</button>
        {active > 0 && (
          <button type="button" className="link-button" onClick={onClear}>
            Clear filters ({active})
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * A multi-value filter as a list of useful combinations ("High or above"),
 * so its options never share a name with the severity checkboxes; a
 * combination from a link or a saved view that is not listed still shows.
 */
function Preset({ id, title, presets, current, onChange }: { id: string; title: string; presets: readonly (readonly [string, string])[]; current: string | undefined; onChange: (v: string | undefined) => void }) {
  const listed = current === undefined || presets.some(([v]) => v === current);
  return (
    <div className="field">
      <label htmlFor={id}>{title}</label>
      <select id={id} value={current ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">Any</option>
        {presets.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
        {!listed && <option value={current}>{describeValues(current)}</option>}
      </select>
    </div>
  );
}
