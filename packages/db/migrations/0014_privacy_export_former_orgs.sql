-- A person's export (GDPR art. 15) must reach the organisations they left, as their erasure
-- already does: the messages they wrote there, the audit entries about them and the record
-- an admin kept when removing them. platform_tenants_naming_user now also answers while an
-- export of the person is processing, and also names the organisations whose audit log or
-- removal records name them. It still answers only which tenants those are; every row is
-- read in that tenant's own transaction, under its policies.
GRANT SELECT ON membership_removals TO platform_definer;
--> statement-breakpoint
CREATE POLICY definer_select ON membership_removals FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE POLICY definer_select ON audit_logs FOR SELECT TO platform_definer USING (true);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION platform_tenants_naming_user(p_user uuid, p_request uuid)
RETURNS TABLE (tenant_id uuid) LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM data_requests r
     WHERE r.id = p_request AND r.tenant_id = platform_current_tenant()
       AND r.user_id = p_user AND r.type IN ('deletion', 'export') AND r.scope = 'user'
       AND r.status = 'processing'
  ) THEN
    RAISE EXCEPTION 'platform_tenants_naming_user: no export or erasure of this person is processing here'
      USING ERRCODE = '42501';
  END IF;
  -- Audit entries are scanned without an index on their people: this runs once per request,
  -- in a background job, and an index would cost every write to the busiest table.
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
    UNION SELECT x.tenant_id FROM memberships x WHERE x.user_id = p_user
    UNION SELECT x.tenant_id FROM membership_removals x
           WHERE x.user_id = p_user OR x.removed_by = p_user
    UNION SELECT x.tenant_id FROM audit_logs x
           WHERE x.actor_user_id = p_user OR x.resource_id = p_user::text;
END $$;
