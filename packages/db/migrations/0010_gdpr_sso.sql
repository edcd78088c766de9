CREATE TABLE "sso_connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"protocol" text DEFAULT 'oidc' NOT NULL,
	"name" text NOT NULL,
	"domains" text[] DEFAULT '{}' NOT NULL,
	"issuer" text NOT NULL,
	"client_id" text NOT NULL,
	"client_secret_encrypted" text,
	"saml_metadata" text,
	"default_role" text DEFAULT 'member' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "scope" text DEFAULT 'user' NOT NULL;--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "requested_by" uuid;--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "archive" "bytea";--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "archive_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sso_connections" ADD CONSTRAINT "sso_connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sso_connections_tenant_idx" ON "sso_connections" USING btree ("tenant_id");--> statement-breakpoint
ALTER TABLE "data_requests" ADD CONSTRAINT "data_requests_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
SELECT platform_protect_tenant_table('sso_connections'::regclass);
--> statement-breakpoint
-- Sign-in finds an organisation's SSO from the email's domain before any tenant is known: a
-- narrow SECURITY DEFINER look-up (enabled connections only), like platform_api_key_by_hash.
GRANT SELECT ON sso_connections TO platform_definer;
--> statement-breakpoint
CREATE POLICY definer_select ON sso_connections FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_sso_by_domain(p_domain text)
RETURNS TABLE (connection_id uuid, tenant_id uuid, protocol text, issuer text, client_id text, client_secret_encrypted text, saml_metadata text, default_role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.id, c.tenant_id, c.protocol, c.issuer, c.client_id, c.client_secret_encrypted, c.saml_metadata, c.default_role
    FROM sso_connections c WHERE c.enabled AND lower(p_domain) = ANY (c.domains)
    ORDER BY c.created_at LIMIT 1
$$;
--> statement-breakpoint
ALTER FUNCTION platform_sso_by_domain(text) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_sso_by_domain(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_sso_by_domain(text) TO platform_runtime, platform_auth;
--> statement-breakpoint
-- The same look-up by connection id, for the callback (the state names the connection).
CREATE OR REPLACE FUNCTION platform_sso_connection(p_id uuid)
RETURNS TABLE (connection_id uuid, tenant_id uuid, protocol text, issuer text, client_id text, client_secret_encrypted text, saml_metadata text, default_role text, domains text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.id, c.tenant_id, c.protocol, c.issuer, c.client_id, c.client_secret_encrypted, c.saml_metadata, c.default_role, c.domains
    FROM sso_connections c WHERE c.enabled AND c.id = p_id
$$;
--> statement-breakpoint
ALTER FUNCTION platform_sso_connection(uuid) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_sso_connection(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_sso_connection(uuid) TO platform_runtime, platform_auth;
