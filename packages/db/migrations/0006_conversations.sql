ALTER TABLE "chat_sessions" ADD COLUMN "visitor_name" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "title" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "status" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "handler" text DEFAULT 'ai' NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "assigned_user_id" uuid;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "assigned_name" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "handoff_reason" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "handoff_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "rating" smallint;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "rating_scale" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "rating_comment" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "rated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "summary" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "summary_messages" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "message_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "last_message_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "last_message_preview" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "author_type" text DEFAULT 'system' NOT NULL;--> statement-breakpoint
-- Existing messages get an author from their role; new ones must name theirs.
UPDATE "messages" SET "author_type" = CASE "role" WHEN 'user' THEN 'visitor' WHEN 'assistant' THEN 'ai' ELSE 'system' END;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "author_type" DROP DEFAULT;--> statement-breakpoint
UPDATE "chat_sessions" s SET "last_message_at" = coalesce((SELECT max(m."created_at") FROM "messages" m WHERE m."session_id" = s."id"), s."created_at"),
  "message_count" = (SELECT count(*) FROM "messages" m WHERE m."session_id" = s."id");--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "author_user_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "author_name" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "status" text DEFAULT 'complete' NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "client_message_id" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "reply_to" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "provider" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "cache_hit" boolean;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "routing_decision_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "retrieval_ms" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "first_token_ms" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "total_ms" integer;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_assigned_user_id_users_id_fk" FOREIGN KEY ("assigned_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_author_user_id_users_id_fk" FOREIGN KEY ("author_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_sessions_inbox_idx" ON "chat_sessions" USING btree ("tenant_id","last_message_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "chat_sessions_visitor_idx" ON "chat_sessions" USING btree ("tenant_id","visitor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_client_id_unique" ON "messages" USING btree ("session_id","client_message_id") WHERE client_message_id is not null;--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin (to_tsvector('simple', "content"));--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_status_check" CHECK ("chat_sessions"."status" in ('open', 'waiting', 'resolved'));--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_handler_check" CHECK ("chat_sessions"."handler" in ('ai', 'human'));--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_rating_check" CHECK ("chat_sessions"."rating" is null or ("chat_sessions"."rating_scale" = 'thumbs' and "chat_sessions"."rating" in (-1, 1)) or ("chat_sessions"."rating_scale" = 'csat' and "chat_sessions"."rating" between 1 and 5));--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_author_check" CHECK ("messages"."author_type" in ('visitor', 'member', 'ai', 'agent', 'system'));--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_status_check" CHECK ("messages"."status" in ('complete', 'stopped', 'truncated', 'failed'));--> statement-breakpoint
-- A widget's public key is looked up before any tenant is known (DESIGN 3): a narrow
-- SECURITY DEFINER function returns only what admitting a visitor needs.
CREATE POLICY definer_select ON widgets FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
GRANT SELECT ON widgets TO platform_definer;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_widget_by_key(p_key text)
RETURNS TABLE (widget_id uuid, tenant_id uuid, allowed_origins text[], personality_id uuid, settings jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT w.id, w.tenant_id, w.allowed_origins, w.personality_id, w.settings
    FROM widgets w WHERE w.public_key = p_key AND w.is_active
$$;
--> statement-breakpoint
ALTER FUNCTION platform_widget_by_key(text) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_widget_by_key(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_widget_by_key(text) TO platform_runtime;
