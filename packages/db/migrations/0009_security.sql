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
