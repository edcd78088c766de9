-- Durable job queue (DESIGN section 4): workers claim due jobs across tenants through one
-- narrow SECURITY DEFINER function; everything else about a job happens inside withTenant.
CREATE POLICY definer_select ON jobs FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
GRANT SELECT, UPDATE ON jobs TO platform_definer;
--> statement-breakpoint
-- Claims up to p_limit due jobs of one queue: queued ones whose run_at has come, and running
-- ones whose lease ran out (their worker died). A tenant never holds more than
-- p_tenant_limit live leases (checked under a per-tenant advisory lock). Each row is locked
-- with SKIP LOCKED under its own tenant (RLS applies UPDATE policies to row locks), so
-- concurrent workers never claim the same job.
CREATE OR REPLACE FUNCTION platform_claim_jobs(p_queue text, p_limit int, p_lease_seconds int, p_tenant_limit int)
RETURNS TABLE (id uuid, tenant_id uuid, payload jsonb, attempts int, max_attempts int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  previous text := current_setting('app.current_tenant_id', true);
  candidate record;
  live int;
  claimed int := 0;
BEGIN
  FOR candidate IN
    SELECT j.id, j.tenant_id FROM jobs j
     WHERE j.queue = p_queue
       AND ((j.status = 'queued' AND j.run_at <= now())
         OR (j.status = 'running' AND j.locked_until <= now()))
     ORDER BY j.run_at, j.created_at
     LIMIT greatest(p_limit, 1) * 20
  LOOP
    PERFORM set_config('app.current_tenant_id', candidate.tenant_id::text, true);
    PERFORM pg_advisory_xact_lock(hashtext('platform_jobs:' || p_queue || ':' || candidate.tenant_id::text));
    SELECT count(*) INTO live FROM jobs j
     WHERE j.tenant_id = candidate.tenant_id AND j.queue = p_queue
       AND j.status = 'running' AND j.locked_until > now();
    CONTINUE WHEN live >= p_tenant_limit;
    PERFORM 1 FROM jobs j
     WHERE j.id = candidate.id
       AND ((j.status = 'queued' AND j.run_at <= now())
         OR (j.status = 'running' AND j.locked_until <= now()))
     FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    RETURN QUERY
      UPDATE jobs j SET status = 'running', attempts = j.attempts + 1,
             locked_until = now() + make_interval(secs => p_lease_seconds), updated_at = now()
       WHERE j.id = candidate.id
      RETURNING j.id, j.tenant_id, j.payload, j.attempts, j.max_attempts;
    claimed := claimed + 1;
    EXIT WHEN claimed >= p_limit;
  END LOOP;
  PERFORM set_config('app.current_tenant_id', coalesce(previous, ''), true);
END $$;
--> statement-breakpoint
ALTER FUNCTION platform_claim_jobs(text, int, int, int) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_claim_jobs(text, int, int, int) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_claim_jobs(text, int, int, int) TO platform_runtime;
