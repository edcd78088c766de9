-- GDPR erasure needs two things the runtime role may not do on its own, each behind a narrow
-- SECURITY DEFINER function that only acts while the matching deletion request is being
-- processed in the calling tenant's own transaction.
--
-- 1. Erasing an organisation deletes its tenants row. Every tenant table references tenants
--    ON DELETE CASCADE, so this also removes the append-only rows (audit_logs, cost_events,
--    routing_decisions) the runtime may never delete, and leaves no tombstone.
GRANT SELECT ON data_requests TO platform_definer;
--> statement-breakpoint
GRANT DELETE ON tenants TO platform_definer;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_erase_tenant(p_tenant uuid, p_request uuid)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n bigint;
BEGIN
  -- Only the tenant of the caller's own transaction (withTenant), and only while its own
  -- due organisation-deletion request is processing: a compromised runtime cannot erase
  -- another organisation, nor its own without the request that a job has claimed.
  IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM platform_current_tenant() THEN
    RAISE EXCEPTION 'platform_erase_tenant: only the current tenant can be erased'
      USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (
    SELECT 1 FROM data_requests r
     WHERE r.id = p_request AND r.tenant_id = p_tenant AND r.type = 'deletion'
       AND r.scope = 'tenant' AND r.status = 'processing'
       AND r.due_at IS NOT NULL AND r.due_at <= now()
  ) THEN
    RAISE EXCEPTION 'platform_erase_tenant: no due deletion of this organisation is processing'
      USING ERRCODE = '42501';
  END IF;
  DELETE FROM tenants WHERE id = p_tenant;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n > 0;
END $$;
--> statement-breakpoint
ALTER FUNCTION platform_erase_tenant(uuid, uuid) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_erase_tenant(uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_erase_tenant(uuid, uuid) TO platform_runtime;
--> statement-breakpoint
-- 2. Erasing a person must reach every organisation whose rows name them, including ones they
--    left before asking (their memberships no longer lead there). This answers only which
--    tenants those are; the anonymising itself runs in each tenant's own transaction.
GRANT SELECT ON messages, chat_sessions, meetings, ai_personality_versions,
  provider_credentials, budgets, budget_alerts TO platform_definer;
--> statement-breakpoint
CREATE POLICY definer_select ON messages FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON chat_sessions FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON meetings FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON ai_personality_versions FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON provider_credentials FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON budgets FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON budget_alerts FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON data_requests FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_tenants_naming_user(p_user uuid, p_request uuid)
RETURNS TABLE (tenant_id uuid) LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM data_requests r
     WHERE r.id = p_request AND r.tenant_id = platform_current_tenant()
       AND r.user_id = p_user AND r.type = 'deletion' AND r.scope = 'user'
       AND r.status = 'processing'
  ) THEN
    RAISE EXCEPTION 'platform_tenants_naming_user: no erasure of this person is processing here'
      USING ERRCODE = '42501';
  END IF;
  RETURN QUERY
    SELECT x.tenant_id FROM messages x WHERE x.author_user_id = p_user
    UNION SELECT x.tenant_id FROM chat_sessions x WHERE x.user_id = p_user
    UNION SELECT x.tenant_id FROM chat_sessions x WHERE x.assigned_user_id = p_user
    UNION SELECT x.tenant_id FROM meetings x WHERE x.created_by = p_user
    UNION SELECT x.tenant_id FROM api_keys x WHERE x.created_by = p_user
    UNION SELECT x.tenant_id FROM ai_personality_versions x WHERE x.created_by = p_user
    UNION SELECT x.tenant_id FROM provider_credentials x WHERE x.created_by = p_user
    UNION SELECT x.tenant_id FROM budgets x WHERE x.updated_by = p_user
    UNION SELECT x.tenant_id FROM budget_alerts x WHERE x.acknowledged_by = p_user
    UNION SELECT x.tenant_id FROM data_requests x WHERE x.user_id = p_user OR x.requested_by = p_user
    UNION SELECT x.tenant_id FROM memberships x WHERE x.user_id = p_user;
END $$;
--> statement-breakpoint
ALTER FUNCTION platform_tenants_naming_user(uuid, uuid) OWNER TO platform_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION platform_tenants_naming_user(uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION platform_tenants_naming_user(uuid, uuid) TO platform_runtime;
