CREATE TABLE "knowledge_files" (
	"document_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"content_hash" text NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge_stats" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"chunk_count" bigint DEFAULT 0 NOT NULL,
	"total_length" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge_terms" (
	"tenant_id" uuid NOT NULL,
	"term" text NOT NULL,
	"document_frequency" integer NOT NULL,
	CONSTRAINT "knowledge_terms_tenant_id_term_pk" PRIMARY KEY("tenant_id","term")
);
--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ALTER COLUMN "search_vector" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ALTER COLUMN "search_vector" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "document_version" text NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "active" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "collection_id" uuid;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_files" ADD CONSTRAINT "knowledge_files_document_id_knowledge_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."knowledge_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_files" ADD CONSTRAINT "knowledge_files_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_stats" ADD CONSTRAINT "knowledge_stats_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_terms" ADD CONSTRAINT "knowledge_terms_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "knowledge_chunks_version_unique" ON "knowledge_chunks" USING btree ("document_id","document_version","chunk_index");--> statement-breakpoint
CREATE UNIQUE INDEX "knowledge_documents_tenant_source_unique" ON "knowledge_documents" USING btree ("tenant_id","source_uri") WHERE source_uri is not null;--> statement-breakpoint
-- Every new tenant table gets the isolation invariant (catalog.security.test.ts checks it).
SELECT platform_protect_tenant_table('knowledge_files'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('knowledge_terms'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('knowledge_stats'::regclass);
--> statement-breakpoint
-- When the configured embedder changes, the server finds documents whose active chunks were
-- embedded by another model, across tenants, and queues a re-embedding job under each
-- document's own tenant. This narrow look-up returns only ids.
CREATE POLICY definer_select ON knowledge_chunks FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
GRANT SELECT ON knowledge_chunks TO platform_definer;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_documents_to_reembed(p_model text)
RETURNS TABLE (tenant_id uuid, document_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT c.tenant_id, c.document_id FROM knowledge_chunks c
   WHERE c.active AND c.model IS DISTINCT FROM p_model
$$;
--> statement-breakpoint
ALTER FUNCTION platform_documents_to_reembed(text) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_documents_to_reembed(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_documents_to_reembed(text) TO platform_runtime;
--> statement-breakpoint
-- The CLI may create an organisation with no owner yet (ingesting into a fresh embedded
-- demo); everything else passes an owner as before.
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
  IF p_owner IS NOT NULL THEN
    INSERT INTO memberships (tenant_id, user_id, role) VALUES (new_id, p_owner, 'owner');
  END IF;
  PERFORM set_config('app.current_tenant_id', coalesce(previous, ''), true);
  RETURN QUERY SELECT new_id, candidate;
END $$;
