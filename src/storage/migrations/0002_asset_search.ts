import { type Kysely, sql } from 'kysely';

/**
 * Asset list at fleet scale (bench/assets-list.ts): one searchable text per
 * asset with a trigram index, and a partial index for unowned assets.
 * Fields are joined with newlines so a match never spans two fields.
 */
const statements = [
  'create extension if not exists pg_trgm',
  `create function patchloop_asset_search_text(hostname text, fqdn text, os_name text, department text, location text, supplier text, ip_addresses text[], tags text[])
     returns text language sql immutable parallel safe as $$
     select coalesce(hostname,'') || E'\\n' || coalesce(fqdn,'') || E'\\n' || coalesce(os_name,'') || E'\\n' || coalesce(department,'')
       || E'\\n' || coalesce(location,'') || E'\\n' || coalesce(supplier,'') || E'\\n' || array_to_string(ip_addresses,' ') || E'\\n' || array_to_string(tags,' ')
   $$`,
  // A stored column: an expression index would re-run the function on every recheck.
  `alter table assets add column search_text text generated always as
     (patchloop_asset_search_text(hostname, fqdn, os_name, department, location, supplier, ip_addresses, tags)) stored`,
  'create index assets_search_trgm_idx on assets using gin (search_text gin_trgm_ops)',
  `create index assets_unowned_idx on assets (lifecycle, updated_at, id) where owner_user_id is null and owner_team_id is null`,
  `create index assets_internet_facing_idx on assets (lifecycle, (case business_criticality when 'critical' then 1 when 'high' then 2 when 'medium' then 3 else 4 end), id) where network_exposure = 'internet_facing'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
