/** Every piece of evidence of a finding: who reported it, under which key, when first and last, and what they saw. */
import type { FindingDetail } from '../../api.js';
import { Badge } from '../../components.js';
import { formatTime } from '../../labels.js';

export function EvidenceTable({ finding }: { finding: FindingDetail }) {
  const fileOf = new Map(finding.imports.map((i) => [i.id, i.fileName ? `${i.fileName} (${i.scanner})` : `${i.scanner} import`]));
  const imported = (id: string | null) => (id ? (fileOf.get(id) ?? id) : null);
  if (!finding.evidence.length) {
    return <p className="muted">No scanner evidence: the patchloop engine found it from the installed software{finding.advisory ? ` and the ${finding.advisory.feed} advisory` : ''}.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">Evidence</caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Key</th>
            <th scope="col">Title</th>
            <th scope="col">Severity</th>
            <th scope="col">Installed</th>
            <th scope="col">Fixed</th>
            <th scope="col">Location</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Gone</th>
          </tr>
        </thead>
        <tbody>
          {finding.evidence.map((e) => (
            <tr key={e.id} className={e.goneAt ? 'row-muted' : undefined}>
              <td>{e.source}</td>
              <td>
                <code className="small">{e.sourceKey}</code>
              </td>
              <td>
                {e.title}
                {e.output && (
                  <details>
                    <summary>Output</summary>
                    <pre className="pre small">{e.output}</pre>
                  </details>
                )}
              </td>
              <td>
                {e.severity ?? <span className="muted">—</span>}
                {e.cvssScore !== null && <span className="muted small"> CVSS {e.cvssScore.toFixed(1)}</span>}
              </td>
              <td>{e.installedVersion ? <code>{e.installedVersion}</code> : <span className="muted">—</span>}</td>
              <td>{e.fixedVersion ? <code>{e.fixedVersion}</code> : <span className="muted">—</span>}</td>
              <td>{e.location ?? <span className="muted">—</span>}</td>
              <td className="nowrap">
                {formatTime(e.firstSeen)}
                {imported(e.firstImportId) && <div className="muted small">{imported(e.firstImportId)}</div>}
              </td>
              <td className="nowrap">
                {formatTime(e.lastSeen)}
                {e.lastImportId !== e.firstImportId && imported(e.lastImportId) && <div className="muted small">{imported(e.lastImportId)}</div>}
              </td>
              <td className="nowrap">{e.goneAt ? <Badge kind="ok">{formatTime(e.goneAt)}</Badge> : <span className="muted">present</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
