import { sql } from 'kysely';

/** SQL conditions on an exception's scope, shared by coverage, the exception page and escalation (risk owners). */

/** Finding `f` lies in the scope of exception `x` (the query's aliases). */
export const IN_SCOPE = sql`((x.scope = 'finding' and f.id = x.finding_id)
  or (x.scope = 'vulnerability' and f.vulnerability_num = x.vulnerability_num and (cardinality(x.asset_ids) = 0 or f.asset_id = any(x.asset_ids)))
  or (x.scope = 'asset' and f.asset_id = x.asset_id))`;

/** Finding `f` is on an unsupported (end-of-life) system: only an unsupported-system exception may cover it (LEG-3). */
export const ON_UNSUPPORTED = sql`exists (select 1 from asset_eol e where e.asset_id = f.asset_id and e.state = 'unsupported')`;
