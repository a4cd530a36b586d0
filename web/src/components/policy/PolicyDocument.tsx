/** A patch policy version shown for reading (GOV-1): every part of the document, in words. */
import type { ReactNode } from 'react';
import { BOD_TIER_LABELS, SSVC_LABELS } from '../../../../src/domain/priority/decision-tables.js';
import { CONTROL_KINDS, MODEL_LABELS, PRIORITIES, type Policy } from '../../../../src/domain/priority/policy.js';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, label, roleLabel } from '../../labels.js';
import { PRIORITY_LABEL, signed } from '../../policy/format.js';
import { PriorityBadge } from '../findings/PriorityBadge.js';

const AUDIENCE: Record<string, string> = { owner: 'the owner', owner_manager: "the owner's manager", security: 'security', risk_owner: 'the risk owner' };
const CHANNEL: Record<string, string> = { email: 'e-mail', webhook: 'chat webhook', in_app: 'in-app' };
const percent = (x: number) => `${Math.round(x * 1000) / 10} %`;
const and = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

export function PolicyDocument({ doc }: { doc: Policy }) {
  const r = doc.riskScore;
  const e = doc.emergency;
  return (
    <div className="policy-doc">
      <div className="card-grid">
        <section className="card" aria-labelledby="pd-sla">
          <h3 id="pd-sla">SLA per priority class</h3>
          <table className="data">
            <caption className="visually-hidden">SLA per class</caption>
            <thead>
              <tr>
                <th scope="col">Class</th>
                <th scope="col">Fix within</th>
              </tr>
            </thead>
            <tbody>
              {PRIORITIES.map((p) => (
                <tr key={p}>
                  <th scope="row">
                    <PriorityBadge priority={p} />
                  </th>
                  <td>{doc.sla[p] === null ? 'no deadline' : `${doc.sla[p]} days`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            A finding is <strong>due soon</strong> once {doc.dueSoonPercent} % of its SLA window has passed. Assets not inventoried or scanned within {doc.scanIntervalDays} days count as
            not covered.
          </p>
        </section>
        <section className="card" aria-labelledby="pd-emergency">
          <h3 id="pd-emergency">Emergency procedure</h3>
          {e.enabled ? (
            <p>
              A known exploited (CISA KEV) vulnerability on an asset that is {e.exposures.length ? and(e.exposures.map((x) => label(x).toLowerCase())) : '(no exposure named)'}
              {e.ransomwareAnyExposure ? ', or one used in ransomware campaigns whatever the exposure,' : ''} is an <strong>emergency</strong>: class Critical, due within {e.days} days.
              A recorded isolation control takes the asset out of it.
            </p>
          ) : (
            <p>Off: no finding is treated as an emergency.</p>
          )}
          <h3>Priority model</h3>
          <p>
            <strong>{MODEL_LABELS[doc.model]}</strong>
          </p>
          {doc.model === 'bod_26_04' && (
            <ul>
              {Object.values(BOD_TIER_LABELS).map((t) => (
                <li key={t}>{t}</li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="pd-risk">
        <h3 id="pd-risk">Risk-score rules {doc.model !== 'risk_score' && <span className="muted small">(not the model in force)</span>}</h3>
        <p>
          The score starts from the CVSS base score ({r.unknownCvss} when unknown) and adds the effects below; compensating controls lower it by at most {r.maxControlReduction}.
          A known exploited vulnerability is never below <PriorityBadge priority={r.kevFloor} />.
        </p>
        <div className="card-grid tables">
          <table className="data">
            <caption>Threat</caption>
            <tbody>
              <Row k="Known exploited (KEV)" v={signed(r.kev)} />
              <Row k="Ransomware use" v={signed(r.ransomware)} />
              {r.epss.map((t) => (
                <Row key={`e${t.min}`} k={`EPSS ≥ ${percent(t.min)}`} v={signed(t.effect)} />
              ))}
              {r.epssPercentile.map((t) => (
                <Row key={`p${t.min}`} k={`EPSS percentile ≥ ${percent(t.min)}`} v={signed(t.effect)} />
              ))}
            </tbody>
          </table>
          <table className="data">
            <caption>Asset</caption>
            <tbody>
              {CRITICALITIES.map((c) => (
                <Row key={c} k={`${label(c)} criticality`} v={signed(r.criticality[c])} />
              ))}
              {EXPOSURES.map((x) => (
                <Row key={x} k={label(x)} v={signed(r.exposure[x])} />
              ))}
              {ENVIRONMENTS.map((x) => (
                <Row key={x} k={label(x)} v={signed(r.environment[x])} />
              ))}
            </tbody>
          </table>
          <table className="data">
            <caption>Compensating controls and classes</caption>
            <tbody>
              {CONTROL_KINDS.map((x) => (
                <Row key={x} k={`Control: ${x === 'waf' ? 'WAF' : label(x)}`} v={signed(r.controls[x])} />
              ))}
              {(['critical', 'high', 'medium', 'low'] as const).map((p) => (
                <Row key={p} k={`${PRIORITY_LABEL[p]} from score`} v={String(r.classes[p])} />
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="card-grid">
        <section className="card" aria-labelledby="pd-ssvc">
          <h3 id="pd-ssvc">SSVC {doc.model !== 'ssvc' && <span className="muted small">(not the model in force)</span>}</h3>
          <p>Exploitation counts as PoC from EPSS percentile {percent(doc.ssvc.pocEpssPercentile)}; KEV counts as active.</p>
          <dl className="props">
            {CRITICALITIES.map((c) => (
              <FragmentRow key={c} k={`Mission impact of a ${label(c).toLowerCase()} asset`} v={label(doc.ssvc.missionImpact[c])} />
            ))}
            {(['act', 'attend', 'track_star', 'track'] as const).map((d) => (
              <FragmentRow key={d} k={`${SSVC_LABELS[d]} →`} v={<PriorityBadge priority={doc.ssvc.outcomes[d]} />} />
            ))}
          </dl>
        </section>
        <section className="card" aria-labelledby="pd-approvals">
          <h3 id="pd-approvals">Approvals and exceptions</h3>
          <dl className="props">
            <FragmentRow k="Risk exception" v={doc.approvals.exception.map(roleLabel).join(', ')} />
            <FragmentRow k="Unsupported system" v={doc.approvals.unsupportedSystemException.map(roleLabel).join(', ')} />
            <FragmentRow k="SLA extension" v={doc.approvals.slaExtension.map(roleLabel).join(', ')} />
            <FragmentRow k="Longest exception" v={`${doc.exceptions.maxDays} days`} />
            <FragmentRow k="Re-review every" v={`${doc.exceptions.reviewIntervalDays} days`} />
          </dl>
          <p className="muted small">Never the requester: separation of duties.</p>
        </section>
      </div>

      <section className="card" aria-labelledby="pd-escalation">
        <h3 id="pd-escalation">Escalation rules</h3>
        {doc.escalation.length === 0 ? (
          <p className="muted">None: nobody is notified as deadlines approach.</p>
        ) : (
          <table className="data">
            <caption className="visually-hidden">Escalation rules</caption>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">When</th>
                <th scope="col">Findings</th>
                <th scope="col">Notify</th>
                <th scope="col">Channels</th>
              </tr>
            </thead>
            <tbody>
              {doc.escalation.map((x, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rules are an ordered list; names may repeat
                <tr key={i}>
                  <th scope="row">{x.name}</th>
                  <td>{x.atPercent === 100 ? 'at the due date' : `${x.atPercent} % of the SLA`}</td>
                  <td>
                    <PriorityBadge priority={x.minPriority} /> or higher
                  </td>
                  <td>{and(x.notify.map((a) => AUDIENCE[a] ?? a))}</td>
                  <td>{x.channels.map((c) => CHANNEL[c] ?? c).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function Row({ k, v }: { k: string; v: string }) {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td className="num">{v}</td>
    </tr>
  );
}

function FragmentRow({ k, v }: { k: string; v: ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </>
  );
}
