/**
 * The SLA extensions of one finding (INC-3), for the finding page: each
 * request, its new due day, why, and who decided; a link to request one.
 * Drop in as <FindingExtensionsPanel findingId={d.id} status={d.status} />.
 */
import { useId } from 'react';
import { ErrorBanner, Spinner, useLoad, useSession } from '../components.js';
import { extensionsApi } from '../exceptionsApi.js';
import { ExtensionTable } from '../pages/SlaExtensions.js';
import { Link } from '../router.js';

export function FindingExtensionsPanel({ findingId, status }: { findingId: string; status: string }) {
  const { can } = useSession();
  const heading = useId();
  const list = useLoad(() => extensionsApi.ofFinding(findingId), findingId);
  return (
    <section className="card" aria-labelledby={heading}>
      <h2 id={heading}>SLA extensions</h2>
      <ErrorBanner error={list.error} />
      {list.loading && !list.data && <Spinner />}
      {list.data && list.data.length === 0 && <p className="muted">No extension was requested for this finding.</p>}
      {list.data && list.data.length > 0 && <ExtensionTable items={list.data} onChanged={list.reload} />}
      {can('exception:request') && status === 'open' && (
        <p className="actions">
          <Link to={`/sla-extensions?findingIds=${encodeURIComponent(findingId)}`}>Request an SLA extension</Link>{' '}
          <Link to={`/exceptions?request=1&scope=finding&findingId=${encodeURIComponent(findingId)}`}>Request a risk exception</Link>
        </p>
      )}
    </section>
  );
}
