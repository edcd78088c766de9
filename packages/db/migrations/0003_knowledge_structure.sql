CREATE TABLE "collections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "collections_tenant_name_unique" UNIQUE("tenant_id","name")
);
--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD COLUMN "collection_id" uuid;--> statement-breakpoint
ALTER TABLE "widgets" ADD COLUMN "collection_id" uuid;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "heading_path" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "page" integer;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "stage" text;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "progress" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "collection_id" uuid;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "collections" ADD CONSTRAINT "collections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD CONSTRAINT "ai_personalities_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "widgets" ADD CONSTRAINT "widgets_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD CONSTRAINT "knowledge_documents_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "knowledge_documents_tenant_hash_unique" ON "knowledge_documents" USING btree ("tenant_id","content_hash");--> statement-breakpoint
CREATE INDEX "knowledge_documents_tenant_collection_idx" ON "knowledge_documents" USING btree ("tenant_id","collection_id");--> statement-breakpoint
-- Every new tenant table gets the isolation invariant (catalog.security.test.ts checks it).
SELECT platform_protect_tenant_table('collections'::regclass);
