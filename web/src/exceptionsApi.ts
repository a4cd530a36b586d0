/** Risk exceptions (/api/exceptions) and SLA extensions (/api/sla-extensions); types come from the server's domain. */
import type { ExceptionRequest, ExtensionRequest, RiskException, RiskExceptionDetail, SlaExtension } from '../../src/domain/exceptions/index.js';
import { request, withQuery } from './api.js';

export type { ExceptionRequest, ExtensionRequest, RiskException, RiskExceptionDetail, SlaExtension };

/** GET /api/exceptions as the client sends it: strings on the wire. */
export interface ExceptionQuery {
  status?: string;
  scope?: string;
  assetId?: string;
  vulnerabilityId?: string;
  expiringWithinDays?: string;
  reviewDue?: 'true';
  limit?: string;
  offset?: string;
}

const enc = encodeURIComponent;

export const exceptionsApi = {
  list: (q: ExceptionQuery) => request<{ items: RiskException[]; total: number }>('GET', '/api/exceptions', { query: { ...q } }),
  get: (id: string) => request<RiskExceptionDetail>('GET', `/api/exceptions/${enc(id)}`),
  request: (input: ExceptionRequest) => request<RiskExceptionDetail>('POST', '/api/exceptions', { json: input }),
  approve: (id: string, note: string, version: number) => request<RiskExceptionDetail>('POST', `/api/exceptions/${enc(id)}/approve`, { json: { note: note || undefined, version } }),
  reject: (id: string, note: string, version: number) => request<RiskExceptionDetail>('POST', `/api/exceptions/${enc(id)}/reject`, { json: { note, version } }),
  revoke: (id: string, reason: string, version: number) => request<RiskExceptionDetail>('POST', `/api/exceptions/${enc(id)}/revoke`, { json: { reason, version } }),
  review: (id: string, note: string, version: number) => request<RiskExceptionDetail>('POST', `/api/exceptions/${enc(id)}/review`, { json: { note, version } }),
  /** Link target for the CSV export with the list's filters (no paging). */
  exportUrl: (q: ExceptionQuery) => {
    const { limit: _l, offset: _o, ...rest } = q;
    return withQuery('/api/exceptions/export.csv', { ...rest });
  },
};

export const extensionsApi = {
  list: (q: { status?: string; findingId?: string; limit?: string; offset?: string }) => request<{ items: SlaExtension[]; total: number }>('GET', '/api/sla-extensions', { query: { ...q } }),
  request: (input: ExtensionRequest) => request<SlaExtension>('POST', '/api/sla-extensions', { json: input }),
  decide: (id: string, action: 'approve' | 'reject' | 'withdraw', note: string, version: number) =>
    request<SlaExtension>('POST', `/api/sla-extensions/${enc(id)}/${action}`, { json: { note: note || undefined, version } }),
  ofFinding: (findingId: string) => request<SlaExtension[]>('GET', `/api/findings/${enc(findingId)}/extensions`),
};
