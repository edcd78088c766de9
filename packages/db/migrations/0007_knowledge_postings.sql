CREATE TABLE "knowledge_postings" (
	"tenant_id" uuid NOT NULL,
	"chunk_id" uuid NOT NULL,
	"term" text NOT NULL,
	"tf" smallint NOT NULL,
	"chunk_token_count" integer NOT NULL,
	CONSTRAINT "knowledge_postings_chunk_id_term_pk" PRIMARY KEY("chunk_id","term")
);
--> statement-breakpoint
ALTER TABLE "knowledge_postings" ADD CONSTRAINT "knowledge_postings_chunk_id_knowledge_chunks_id_fk" FOREIGN KEY ("chunk_id") REFERENCES "public"."knowledge_chunks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "knowledge_postings_tenant_term_idx" ON "knowledge_postings" USING btree ("tenant_id","term","chunk_id","tf","chunk_token_count");--> statement-breakpoint
-- Postings of the chunks already stored; ingestion writes them from now on. Runs as the owner
-- before the table is protected. The owner reads every tenant's chunks as a superuser, or
-- through definer_select (0004) as a member of platform_definer (0001).
INSERT INTO knowledge_postings (tenant_id, term, chunk_id, tf, chunk_token_count)
SELECT c.tenant_id, u.lexeme, c.id, cardinality(u.positions), c.token_count
  FROM knowledge_chunks c CROSS JOIN LATERAL unnest(c.search_vector) u;
--> statement-breakpoint
-- Every new tenant table gets the isolation invariant (catalog.security.test.ts checks it).
SELECT platform_protect_tenant_table('knowledge_postings'::regclass);
