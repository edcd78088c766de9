CREATE TABLE "answer_cache" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"personality_id" uuid NOT NULL,
	"personality_version" integer NOT NULL,
	"knowledge_version" bigint NOT NULL,
	"embedding_model" text NOT NULL,
	"question" text NOT NULL,
	"embedding" vector(1024) NOT NULL,
	"answer" text NOT NULL,
	"citations" jsonb NOT NULL,
	"cited_chunk_ids" uuid[] NOT NULL,
	"lead_chunk_id" uuid NOT NULL,
	"tier" smallint NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"hits" integer DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider_credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"base_url" text,
	"key_ciphertext" text NOT NULL,
	"key_hint" text NOT NULL,
	"validated_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provider_credentials_unique" UNIQUE("tenant_id","provider")
);
--> statement-breakpoint
CREATE TABLE "routing_decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"session_id" uuid,
	"personality_id" uuid,
	"personality_version" integer,
	"score" real NOT NULL,
	"classified_tier" smallint NOT NULL,
	"tier" smallint NOT NULL,
	"reason" text NOT NULL,
	"signals" jsonb NOT NULL,
	"budget_state" text NOT NULL,
	"cache_hit" boolean DEFAULT false NOT NULL,
	"provider" text,
	"model" text,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ai_personality_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"personality_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"snapshot" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ai_personality_versions_unique" UNIQUE("personality_id","version")
);
--> statement-breakpoint
CREATE TABLE "budget_spend" (
	"tenant_id" uuid NOT NULL,
	"month" date NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "budget_spend_tenant_id_month_pk" PRIMARY KEY("tenant_id","month")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"monthly_limit_micros" bigint,
	"alert_thresholds" smallint[] DEFAULT '{50,80,100}'::smallint[] NOT NULL,
	"downgrade_at_percent" smallint DEFAULT 90 NOT NULL,
	"exhausted_policy" text DEFAULT 'tier1' NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_limit_check" CHECK (monthly_limit_micros is null or monthly_limit_micros >= 0),
	CONSTRAINT "budgets_downgrade_check" CHECK (downgrade_at_percent between 1 and 100)
);
--> statement-breakpoint
ALTER TABLE "budget_alerts" DROP CONSTRAINT "budget_alerts_threshold_unique";--> statement-breakpoint
ALTER TABLE "cost_summaries" DROP CONSTRAINT "cost_summaries_bucket_unique";--> statement-breakpoint
ALTER TABLE "budget_alerts" ALTER COLUMN "threshold_percent" SET DATA TYPE smallint;--> statement-breakpoint
ALTER TABLE "cost_events" ALTER COLUMN "tier" SET DATA TYPE smallint USING (CASE WHEN tier ~ '^[123]$' THEN tier::smallint END);--> statement-breakpoint
ALTER TABLE "cost_summaries" ALTER COLUMN "input_tokens" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "cost_summaries" ALTER COLUMN "output_tokens" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD COLUMN "language" text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD COLUMN "greeting" text;--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD COLUMN "min_tier" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD COLUMN "max_tier" smallint DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "personality_version" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "personality_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "personality_version" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "tier" smallint;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD COLUMN "month" date NOT NULL;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD COLUMN "budget_micros" bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD COLUMN "spent_micros" bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD COLUMN "acknowledged_by" uuid;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "personality_id" uuid;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "personality_version" integer;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "routing_decision_id" uuid;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "cached_input_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "price_version" text NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "cost_micros" bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "latency_ms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "outcome" text NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_events" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD COLUMN "day" date NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD COLUMN "tier" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD COLUMN "failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD COLUMN "cached_input_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_stats" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "answer_cache" ADD CONSTRAINT "answer_cache_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "answer_cache" ADD CONSTRAINT "answer_cache_personality_id_ai_personalities_id_fk" FOREIGN KEY ("personality_id") REFERENCES "public"."ai_personalities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_credentials" ADD CONSTRAINT "provider_credentials_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routing_decisions" ADD CONSTRAINT "routing_decisions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routing_decisions" ADD CONSTRAINT "routing_decisions_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routing_decisions" ADD CONSTRAINT "routing_decisions_personality_id_ai_personalities_id_fk" FOREIGN KEY ("personality_id") REFERENCES "public"."ai_personalities"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_personality_versions" ADD CONSTRAINT "ai_personality_versions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_personality_versions" ADD CONSTRAINT "ai_personality_versions_personality_id_ai_personalities_id_fk" FOREIGN KEY ("personality_id") REFERENCES "public"."ai_personalities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_spend" ADD CONSTRAINT "budget_spend_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "answer_cache_scope_idx" ON "answer_cache" USING btree ("tenant_id","personality_id","personality_version","knowledge_version");--> statement-breakpoint
CREATE INDEX "answer_cache_embedding_idx" ON "answer_cache" USING hnsw ("embedding" vector_cosine_ops);--> statement-breakpoint
CREATE INDEX "routing_decisions_tenant_created_idx" ON "routing_decisions" USING btree ("tenant_id","created_at");--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_personality_id_ai_personalities_id_fk" FOREIGN KEY ("personality_id") REFERENCES "public"."ai_personalities"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cost_events" ADD CONSTRAINT "cost_events_personality_id_ai_personalities_id_fk" FOREIGN KEY ("personality_id") REFERENCES "public"."ai_personalities"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_personalities_one_default" ON "ai_personalities" USING btree ("tenant_id") WHERE is_default;--> statement-breakpoint
ALTER TABLE "ai_personalities" DROP COLUMN "preferred_tier";--> statement-breakpoint
ALTER TABLE "messages" DROP COLUMN "cost_usd";--> statement-breakpoint
ALTER TABLE "budget_alerts" DROP COLUMN "period";--> statement-breakpoint
ALTER TABLE "budget_alerts" DROP COLUMN "period_start";--> statement-breakpoint
ALTER TABLE "budget_alerts" DROP COLUMN "budget_usd";--> statement-breakpoint
ALTER TABLE "budget_alerts" DROP COLUMN "spent_usd";--> statement-breakpoint
ALTER TABLE "cost_events" DROP COLUMN "cost_usd";--> statement-breakpoint
ALTER TABLE "cost_summaries" DROP COLUMN "period";--> statement-breakpoint
ALTER TABLE "cost_summaries" DROP COLUMN "period_start";--> statement-breakpoint
ALTER TABLE "cost_summaries" DROP COLUMN "cost_usd";--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_threshold_unique" UNIQUE("tenant_id","month","threshold_percent");--> statement-breakpoint
ALTER TABLE "cost_summaries" ADD CONSTRAINT "cost_summaries_bucket_unique" UNIQUE("tenant_id","day","provider","model","tier");--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD CONSTRAINT "ai_personalities_tiers_check" CHECK (1 <= min_tier and min_tier <= max_tier and max_tier <= 3);--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD CONSTRAINT "ai_personalities_temperature_check" CHECK (temperature >= 0 and temperature <= 2);--> statement-breakpoint
ALTER TABLE "ai_personalities" ADD CONSTRAINT "ai_personalities_prompt_check" CHECK (length(btrim(system_prompt)) > 0);--> statement-breakpoint
ALTER TABLE "cost_events" ADD CONSTRAINT "cost_events_cost_check" CHECK (cost_micros >= 0);--> statement-breakpoint
-- Every new tenant table gets the isolation invariant (catalog.security.test.ts checks it).
SELECT platform_protect_tenant_table('ai_personality_versions'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('budget_spend'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('budgets'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('answer_cache'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('provider_credentials'::regclass);
--> statement-breakpoint
SELECT platform_protect_tenant_table('routing_decisions'::regclass);
--> statement-breakpoint
-- The ledger and the decision log are append-only for the runtime role.
SELECT platform_protect_tenant_table('cost_events'::regclass, append_only => true);
--> statement-breakpoint
SELECT platform_protect_tenant_table('routing_decisions'::regclass, append_only => true);
