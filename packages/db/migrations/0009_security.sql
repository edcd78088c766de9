ALTER TABLE "auth_sessions" ADD COLUMN "last_seen_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "two_factors" ADD COLUMN "verified" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "two_factors" ADD COLUMN "failed_verification_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "two_factors" ADD COLUMN "locked_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "two_factors" ADD COLUMN "last_used_step" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "failed_sign_ins" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "locked_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "rate_limit_per_minute" integer;--> statement-breakpoint
-- An API key is looked up before its tenant is known (it is what names the tenant), so the
-- look-up is a narrow SECURITY DEFINER function, like platform_widget_by_key: by hash only.
GRANT SELECT ON api_keys TO platform_definer;
--> statement-breakpoint
CREATE POLICY definer_select ON api_keys FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_api_key_by_hash(p_hash text)
RETURNS TABLE (key_id uuid, tenant_id uuid, name text, scopes text[], rate_limit_per_minute integer, expires_at timestamptz, revoked_at timestamptz, created_by uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.id, k.tenant_id, k.name, k.scopes, k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.created_by
    FROM api_keys k WHERE k.key_hash = p_hash
$$;
--> statement-breakpoint
ALTER FUNCTION platform_api_key_by_hash(text) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_api_key_by_hash(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_api_key_by_hash(text) TO platform_runtime;
--> statement-breakpoint
-- Audit retention: the runtime may not DELETE audit entries, so old ones go through this narrow
-- function, tenant by tenant under the tenant policies. It refuses a cut-off under 30 days, so
-- even a compromised runtime cannot erase recent history with it.
GRANT SELECT, DELETE ON audit_logs TO platform_definer;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_purge_audit_logs(p_before timestamptz)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid;
  n bigint;
  total bigint := 0;
  caller_tenant text := current_setting('app.current_tenant_id', true);
BEGIN
  IF p_before IS NULL OR p_before > now() - interval '30 days' THEN
    RAISE EXCEPTION 'platform_purge_audit_logs: the cut-off must be at least 30 days ago'
      USING ERRCODE = '22023';
  END IF;
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.current_tenant_id', t::text, true);
    DELETE FROM audit_logs WHERE tenant_id = t AND created_at < p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END LOOP;
  PERFORM set_config('app.current_tenant_id', coalesce(caller_tenant, ''), true);
  RETURN total;
END $$;
--> statement-breakpoint
ALTER FUNCTION platform_purge_audit_logs(timestamptz) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_purge_audit_logs(timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_purge_audit_logs(timestamptz) TO platform_runtime;
--> statement-breakpoint
-- The runtime cannot back-date an entry either: what it inserts is stamped with the time now.
CREATE OR REPLACE FUNCTION platform_audit_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user = 'platform_runtime' THEN
    NEW.created_at := now();
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_logs_stamp BEFORE INSERT ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION platform_audit_stamp();
