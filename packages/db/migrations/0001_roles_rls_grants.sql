-- Roles, row-level security, grants and narrow SECURITY DEFINER look-ups (DESIGN section 3).
-- Runs as the owner. Roles are cluster-wide, so creating them is idempotent and race-safe.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['platform_runtime', 'platform_auth', 'platform_definer'] LOOP
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', r);
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
  -- The owner switches into these roles per transaction (SET LOCAL ROLE) and hands functions to the definer.
  EXECUTE format('GRANT platform_runtime, platform_auth, platform_definer TO %I', current_user);
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO platform_runtime, platform_auth, platform_definer;
--> statement-breakpoint
-- The tenant of the current transaction, set by withTenant with set_config(..., true).
CREATE OR REPLACE FUNCTION platform_current_tenant() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid
$$;
--> statement-breakpoint
-- Applies the tenant-isolation invariant to one table: ENABLE and FORCE RLS, one policy per
-- command on tenant_id, and runtime grants. Later migrations call it for every new tenant table.
CREATE OR REPLACE FUNCTION platform_protect_tenant_table(tbl regclass, append_only boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_select ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_insert ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_update ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_delete ON %s', tbl);
  EXECUTE format('CREATE POLICY tenant_select ON %s FOR SELECT USING (tenant_id = platform_current_tenant())', tbl);
  EXECUTE format('CREATE POLICY tenant_insert ON %s FOR INSERT WITH CHECK (tenant_id = platform_current_tenant())', tbl);
  EXECUTE format('CREATE POLICY tenant_update ON %s FOR UPDATE USING (tenant_id = platform_current_tenant()) WITH CHECK (tenant_id = platform_current_tenant())', tbl);
  EXECUTE format('CREATE POLICY tenant_delete ON %s FOR DELETE USING (tenant_id = platform_current_tenant())', tbl);
  EXECUTE format('GRANT SELECT, INSERT ON %s TO platform_runtime', tbl);
  IF append_only THEN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM platform_runtime', tbl);
  ELSE
    EXECUTE format('GRANT UPDATE, DELETE ON %s TO platform_runtime', tbl);
  END IF;
END $$;
--> statement-breakpoint
SELECT platform_protect_tenant_table(t::regclass) FROM unnest(ARRAY[
  'memberships', 'widgets', 'meetings', 'chat_sessions', 'messages', 'knowledge_documents',
  'knowledge_chunks', 'cost_events', 'cost_summaries', 'budget_alerts', 'ai_personalities',
  'api_keys', 'data_requests', 'jobs'
]) AS t;
--> statement-breakpoint
SELECT platform_protect_tenant_table('audit_logs'::regclass, append_only => true);
--> statement-breakpoint
-- The tenants table is keyed by its own id.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_select ON tenants FOR SELECT USING (id = platform_current_tenant());
--> statement-breakpoint
CREATE POLICY tenant_insert ON tenants FOR INSERT WITH CHECK (id = platform_current_tenant());
--> statement-breakpoint
CREATE POLICY tenant_update ON tenants FOR UPDATE USING (id = platform_current_tenant()) WITH CHECK (id = platform_current_tenant());
--> statement-breakpoint
CREATE POLICY tenant_delete ON tenants FOR DELETE USING (id = platform_current_tenant());
--> statement-breakpoint
GRANT SELECT, UPDATE ON tenants TO platform_runtime;
--> statement-breakpoint
-- Identity is global and belongs to the auth role. The runtime sees only the users who are
-- members of the current tenant, and no credential table at all.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY users_auth_all ON users TO platform_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY users_member_select ON users FOR SELECT TO platform_runtime
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));
--> statement-breakpoint
GRANT SELECT ON users TO platform_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON users, accounts, auth_sessions, verification_tokens, two_factors TO platform_auth;
--> statement-breakpoint
-- The definer role owns the look-ups below. It reads memberships and tenants across tenants
-- (SELECT only, through these policies) and writes a new tenant under that tenant's own id.
CREATE POLICY definer_select ON tenants FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON memberships FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
GRANT SELECT, INSERT ON tenants, memberships TO platform_definer;
--> statement-breakpoint
-- Sign-up: creates the tenant and makes the user its owner, in the caller's transaction.
-- The slug gets a numeric suffix when taken. Returns the new tenant's id.
CREATE OR REPLACE FUNCTION platform_create_tenant(p_name text, p_slug text, p_owner uuid)
RETURNS TABLE (tenant_id uuid, slug text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  new_id uuid := gen_random_uuid();
  previous text := current_setting('app.current_tenant_id', true);
  candidate text;
BEGIN
  PERFORM set_config('app.current_tenant_id', new_id::text, true);
  FOR i IN 1..100 LOOP
    candidate := CASE WHEN i = 1 THEN p_slug ELSE p_slug || '-' || i END;
    BEGIN
      INSERT INTO tenants (id, name, slug) VALUES (new_id, p_name, candidate);
      EXIT;
    EXCEPTION WHEN unique_violation THEN
      IF i = 100 THEN RAISE; END IF;
    END;
  END LOOP;
  INSERT INTO memberships (tenant_id, user_id, role) VALUES (new_id, p_owner, 'owner');
  PERFORM set_config('app.current_tenant_id', coalesce(previous, ''), true);
  RETURN QUERY SELECT new_id, candidate;
END $$;
--> statement-breakpoint
-- The tenants a user belongs to, newest membership first (for choosing a session's tenant).
CREATE OR REPLACE FUNCTION platform_user_memberships(p_user uuid)
RETURNS TABLE (tenant_id uuid, role text, tenant_name text, tenant_slug text, joined_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT m.tenant_id, m.role, t.name, t.slug, m.created_at
  FROM memberships m JOIN tenants t ON t.id = m.tenant_id
  WHERE m.user_id = p_user
  ORDER BY m.created_at DESC
$$;
--> statement-breakpoint
-- Operator listing for the CLI.
CREATE OR REPLACE FUNCTION platform_list_tenants()
RETURNS TABLE (id uuid, name text, slug text, plan text, created_at timestamptz, members bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT t.id, t.name, t.slug, t.plan, t.created_at,
         (SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id)
  FROM tenants t ORDER BY t.created_at
$$;
--> statement-breakpoint
ALTER FUNCTION platform_create_tenant(text, text, uuid) OWNER TO platform_definer;
--> statement-breakpoint
ALTER FUNCTION platform_user_memberships(uuid) OWNER TO platform_definer;
--> statement-breakpoint
ALTER FUNCTION platform_list_tenants() OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_create_tenant(text, text, uuid), platform_user_memberships(uuid), platform_list_tenants() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_create_tenant(text, text, uuid), platform_user_memberships(uuid), platform_list_tenants() TO platform_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_protect_tenant_table(regclass, boolean) FROM PUBLIC;
