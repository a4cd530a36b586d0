/** A finding's history as a timeline, oldest first: detection, evidence seen and gone, validations and status changes. */
import type { FindingDetail, FindingHistoryEntry } from '../../api.js';
import { formatTime, label } from '../../labels.js';
import { STATUS_LABELS, StatusBadge } from './FindingTable.js';

const KIND: Record<FindingHistoryEntry['kind'], string> = {
  detected: 'Detected',
  status: 'Status changed',
  evidence_seen: 'Evidence reported',
  evidence_gone: 'Evidence gone',
  validated: 'Validated',
  validation_lifted: 'Validation lifted',
};

export function HistoryTimeline({ finding }: { finding: FindingDetail }) {
  const fileOf = new Map(finding.imports.map((i) => [i.id, i.fileName ?? `${i.scanner} import`]));
  return (
    <table className="data history">
      <caption className="visually-hidden">History</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">What</th>
          <th scope="col">Status</th>
          <th scope="col">Reason</th>
          <th scope="col">By</th>
        </tr>
      </thead>
      <tbody>
        {finding.history.map((h, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only and in order
          <tr key={i}>
            <td className="nowrap">
              <time dateTime={h.at}>{formatTime(h.at)}</time>
            </td>
            <td>{KIND[h.kind]}</td>
            <td>
              {h.kind === 'status' || h.kind === 'detected' ? (
                <>
                  {h.from && <>{STATUS_LABELS[h.from] ?? label(h.from)} → </>}
                  <StatusBadge status={h.to} />
                </>
              ) : h.kind === 'validated' ? (
                (STATUS_LABELS[h.to] ?? label(h.to))
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td>
              {h.reason}
              {h.installedVersion && <code className="small"> {h.installedVersion}</code>}
            </td>
            <td>{h.actor ?? (h.runId && fileOf.get(h.runId)) ?? h.source ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
