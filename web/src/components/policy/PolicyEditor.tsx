/**
 * The policy editor (GOV-1, admins): a form for every part of the document
 * and a mandatory reason. The draft is checked with the server's own schema
 * before it is sent; what the server still refuses is shown at the fields.
 * Saving makes a new version; the changes it will make are listed first.
 */
import { type FormEvent, useMemo, useState } from 'react';
import { SSVC_LABELS } from '../../../../src/domain/priority/decision-tables.js';
import { diffPolicies } from '../../../../src/domain/priority/diff.js';
import { CONTROL_KINDS, DECIDING_ROLES, ESCALATION_AUDIENCES, ESCALATION_CHANNELS, MODEL_LABELS, MODELS, PRIORITIES, type Policy } from '../../../../src/domain/priority/policy.js';
import { ApiError, errorMessage } from '../../api.js';
import { ErrorBanner, Field } from '../../components.js';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, label, roleLabel } from '../../labels.js';
import { type PolicyVersion, policyApi } from '../../policy/api.js';
import { type FieldProblems, PRIORITY_LABEL, formatPolicyValue, pathLabel, serverProblems, setIn, validateDraft } from '../../policy/format.js';
import { Check, Choice, type Ed, type Key, Num, Several, Text, Thresholds } from './EditorFields.js';

const PRIORITY_OPTIONS = PRIORITIES.map((p) => [p, PRIORITY_LABEL[p]] as const);
// Only roles that may decide at all (exception:decide) can be named as approvers.
const ROLE_OPTIONS = DECIDING_ROLES.map((r) => [r, roleLabel(r)] as const);
const AUDIENCE_OPTIONS = [['owner', 'Owner'], ['owner_manager', "Owner's manager"], ['security', 'Security'], ['risk_owner', 'Risk owner']] as const;
const CHANNEL_OPTIONS = [['email', 'E-mail'], ['webhook', 'Chat webhook'], ['in_app', 'In-app']] as const;
const IMPACT_OPTIONS = (['low', 'medium', 'high'] as const).map((x) => [x, label(x)] as const);
const controlLabel = (c: string) => (c === 'waf' ? 'WAF' : label(c));

// The option lists must cover the schema's vocabularies; a new audience or channel would otherwise be uneditable.
if (AUDIENCE_OPTIONS.length !== ESCALATION_AUDIENCES.length || CHANNEL_OPTIONS.length !== ESCALATION_CHANNELS.length) throw new Error('escalation vocabularies changed');

export function PolicyEditor({ current, onSaved }: { current: PolicyVersion; onSaved: (v: PolicyVersion) => void }) {
  const [draft, setDraft] = useState<Policy>(() => structuredClone(current.document));
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const check = useMemo(() => validateDraft(draft), [draft]);
  const changes = useMemo(() => (check.ok ? diffPolicies(current.document, check.policy) : []), [check, current.document]);
  const server = serverError instanceof ApiError ? serverProblems(serverError.fieldErrors()) : {};
  const problems: FieldProblems = { ...(tried && !check.ok ? check.problems : {}), ...server };
  if (tried && reason.trim().length < 3) problems.reason = [...(problems.reason ?? []), 'say why the policy changes (at least 3 characters)'];
  const ed: Ed = { draft, problems, set: (path: readonly Key[], value: unknown) => setDraft((d) => setIn(d, path, value)) };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    setServerError(null);
    if (!check.ok || reason.trim().length < 3 || changes.length === 0) return;
    setBusy(true);
    try {
      onSaved(await policyApi.edit(check.policy, reason.trim(), current.version));
    } catch (err) {
      setServerError(err);
    } finally {
      setBusy(false);
    }
  };
  const discard = () => {
    setDraft(structuredClone(current.document));
    setTried(false);
    setServerError(null);
  };
  const listed = Object.entries(problems);

  return (
    <form className="policy-editor" onSubmit={submit} aria-label="Edit the patch policy" noValidate>
      <p className="muted">
        Editing version {current.version}. Saving makes version {current.version + 1}; every open finding is then re-prioritised against it, and the findings whose class or due date
        changes record the new version.
      </p>
      <fieldset>
        <legend>General</legend>
        <div className="grid">
          <Text ed={ed} path={['name']} label="Policy name" maxLength={200} />
          <Choice ed={ed} path={['model']} label="Priority model" options={MODELS.map((m) => [m, MODEL_LABELS[m]] as const)} />
          <Num ed={ed} path={['dueSoonPercent']} label="Due soon from (% of the SLA)" />
          <Num ed={ed} path={['scanIntervalDays']} label="Scan interval (days)" />
        </div>
      </fieldset>
      <fieldset>
        <legend>SLA (days from detection)</legend>
        <div className="grid">
          {PRIORITIES.map((p) => (
            <Num key={p} ed={ed} path={['sla', p]} label={PRIORITY_LABEL[p]} nullable={p === 'informational' ? 'No deadline' : undefined} />
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Emergency</legend>
        <div className="grid">
          <Check ed={ed} path={['emergency', 'enabled']} label="Emergency procedure on" />
          <Num ed={ed} path={['emergency', 'days']} label="Emergency deadline (days)" />
          <Check ed={ed} path={['emergency', 'ransomwareAnyExposure']} label="Ransomware use: emergency whatever the exposure" />
        </div>
        <Several ed={ed} path={['emergency', 'exposures']} legend="Known exploited on these exposures is an emergency" options={EXPOSURES.map((x) => [x, label(x)] as const)} />
      </fieldset>
      <RiskScore ed={ed} />
      <fieldset>
        <legend>SSVC</legend>
        <div className="grid">
          <Num ed={ed} path={['ssvc', 'pocEpssPercentile']} label="PoC from EPSS percentile (0–1)" step={0.01} />
          {CRITICALITIES.map((c) => (
            <Choice key={c} ed={ed} path={['ssvc', 'missionImpact', c]} label={`Mission impact: ${label(c)} criticality`} options={IMPACT_OPTIONS} />
          ))}
          {(['act', 'attend', 'track_star', 'track'] as const).map((d) => (
            <Choice key={d} ed={ed} path={['ssvc', 'outcomes', d]} label={`${SSVC_LABELS[d]} → class`} options={PRIORITY_OPTIONS} />
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Approvals (never the requester)</legend>
        <Several ed={ed} path={['approvals', 'exception']} legend="Risk exception" options={ROLE_OPTIONS} />
        <Several ed={ed} path={['approvals', 'unsupportedSystemException']} legend="Unsupported system" options={ROLE_OPTIONS} />
        <Several ed={ed} path={['approvals', 'slaExtension']} legend="SLA extension" options={ROLE_OPTIONS} />
      </fieldset>
      <fieldset>
        <legend>Exceptions</legend>
        <div className="grid">
          <Num ed={ed} path={['exceptions', 'maxDays']} label="Longest validity (days)" />
          <Num ed={ed} path={['exceptions', 'reviewIntervalDays']} label="Review interval (days)" />
        </div>
      </fieldset>
      <Escalation ed={ed} />

      <fieldset>
        <legend>Save as version {current.version + 1}</legend>
        {check.ok && changes.length > 0 && (
          <div aria-live="polite">
            <p>
              {changes.length === 1 ? '1 change' : `${changes.length} changes`}: {changes.map((c) => `${pathLabel(c.path)} ${formatPolicyValue(c.before)} → ${formatPolicyValue(c.after)}`).join('; ')}
            </p>
          </div>
        )}
        {check.ok && changes.length === 0 && <p className="muted">No changes yet.</p>}
        <Field label="Reason for the change" error={problems.reason} hint="Recorded with the version and shown in its history (required)">
          {(a) => <textarea {...a} rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
        {listed.length > 0 && (
          <div className="error-banner policy-problems" role="alert">
            <p>
              <strong>The policy cannot be saved:</strong> {serverError ? `the server refused it (${errorMessage(serverError)}).` : 'correct the marked fields.'}
            </p>
            <ul>
              {listed.map(([k, msgs]) => (
                <li key={k}>
                  <strong>{k === 'reason' ? 'Reason' : k === 'document' ? 'The policy' : pathLabel(k)}</strong> {msgs.join('; ')}
                </li>
              ))}
            </ul>
          </div>
        )}
        {serverError && listed.length === 0 ? <ErrorBanner error={serverError} /> : null}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || (check.ok && changes.length === 0)}>
            {busy ? 'Saving…' : 'Save new version'}
          </button>
          <button type="button" onClick={discard} disabled={busy}>
            Discard changes
          </button>
        </div>
      </fieldset>
    </form>
  );
}

function RiskScore({ ed }: { ed: Ed }) {
  const rs = (...p: Key[]) => ['riskScore', ...p];
  return (
    <fieldset>
      <legend>Risk score</legend>
      <div className="grid">
        <Num ed={ed} path={rs('unknownCvss')} label="CVSS assumed when unknown" step={0.1} />
        <Num ed={ed} path={rs('kev')} label="Known exploited (KEV)" step={0.1} />
        <Num ed={ed} path={rs('ransomware')} label="Ransomware use" step={0.1} />
        <Num ed={ed} path={rs('maxControlReduction')} label="Largest reduction by controls" step={0.1} />
        <Choice ed={ed} path={rs('kevFloor')} label="KEV floor (never below)" options={PRIORITY_OPTIONS} />
      </div>
      <Thresholds ed={ed} path={rs('epss')} legend="EPSS probability (first threshold reached applies)" />
      <Thresholds ed={ed} path={rs('epssPercentile')} legend="EPSS percentile (first threshold reached applies)" />
      <fieldset>
        <legend>Asset business criticality</legend>
        <div className="grid">
          {CRITICALITIES.map((c) => (
            <Num key={c} ed={ed} path={rs('criticality', c)} label={`Criticality ${label(c).toLowerCase()}`} step={0.1} />
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Network exposure and environment</legend>
        <div className="grid">
          {EXPOSURES.map((x) => (
            <Num key={x} ed={ed} path={rs('exposure', x)} label={`Exposure ${label(x).toLowerCase()}`} step={0.1} />
          ))}
          {ENVIRONMENTS.map((x) => (
            <Num key={x} ed={ed} path={rs('environment', x)} label={`Environment ${label(x).toLowerCase()}`} step={0.1} />
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Compensating controls (each active, reviewed control)</legend>
        <div className="grid">
          {CONTROL_KINDS.map((c) => (
            <Num key={c} ed={ed} path={rs('controls', c)} label={`Control ${controlLabel(c)}`} step={0.1} />
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Class thresholds (lowest score of each class; below Low is Informational)</legend>
        <div className="grid">
          {(['critical', 'high', 'medium', 'low'] as const).map((p) => (
            <Num key={p} ed={ed} path={rs('classes', p)} label={`${PRIORITY_LABEL[p]} from score`} step={0.1} />
          ))}
        </div>
        {ed.problems['riskScore.classes']?.length ? <p className="field-error">{ed.problems['riskScore.classes'].join('; ')}</p> : null}
      </fieldset>
    </fieldset>
  );
}

function Escalation({ ed }: { ed: Ed }) {
  const rules = ed.draft.escalation;
  return (
    <fieldset>
      <legend>Escalation rules</legend>
      {rules.length === 0 && <p className="muted">No rules: nobody is notified as deadlines approach.</p>}
      {rules.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rules are positions in an ordered list
        <fieldset className="rule" key={i}>
          <legend>Escalation rule {i + 1}</legend>
          <div className="grid">
            <Text ed={ed} path={['escalation', i, 'name']} label={`Rule ${i + 1} name`} maxLength={120} />
            <Num ed={ed} path={['escalation', i, 'atPercent']} label="At % of the SLA (100 = due date)" />
            <Choice ed={ed} path={['escalation', i, 'minPriority']} label="For class or higher" options={PRIORITY_OPTIONS} />
          </div>
          <Several ed={ed} path={['escalation', i, 'notify']} legend="Notify" options={AUDIENCE_OPTIONS} />
          <Several ed={ed} path={['escalation', i, 'channels']} legend="Channels" options={CHANNEL_OPTIONS} />
          <button type="button" className="danger" onClick={() => ed.set(['escalation'], rules.filter((_, j) => j !== i))}>
            Remove rule {i + 1}
            <span className="visually-hidden"> ({r.name})</span>
          </button>
        </fieldset>
      ))}
      {rules.length < 20 && (
        <p className="rule">
          <button type="button" onClick={() => ed.set(['escalation'], [...rules, { name: `Rule ${rules.length + 1}`, atPercent: 100, minPriority: 'high', notify: ['owner'], channels: ['in_app'] }])}>
            Add escalation rule
          </button>
        </p>
      )}
    </fieldset>
  );
}
