import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerApiKeyAuth } from './api-keys/request.ts';
import { registerAuthRoutes } from './auth-bridge.ts';
import { registerDemoPage } from './demo/page.ts';
import { registerErrorHandler } from './errors.ts';
import { registerHealthRoutes } from './health.ts';
import { registerAccountPage } from './home.ts';
import { trackInFlight } from './in-flight.ts';
import { registerJsonBody } from './json-body.ts';
import { registerKnowledgeUpload } from './knowledge-upload.ts';
import type { Platform } from './platform.ts';
import { attachGateway } from './realtime/gateway.ts';
import { memberOrigins } from './realtime/origins.ts';
import { registerAuditRoute } from './rest/audit.ts';
import { registerConversationRoutes } from './rest/conversations.ts';
import { registerPrivacyExportRoute } from './rest/privacy-export.ts';
import { registerWidgetSession } from './rest/widget-session.ts';
import { registerCsrf } from './security/csrf.ts';
import { registerSecurityHeaders } from './security/headers.ts';
import { registerMemberCors } from './security/member-cors.ts';
import { registerRateLimits } from './security/rate-limits.ts';
import { registerTrpcRoutes } from './trpc-route.ts';
import { registerWidgetAsset } from './widget-asset.ts';

export const BODY_LIMIT = 1024 * 1024;

/**
 * The one HTTP server: tRPC at /trpc, auth at /api/auth, REST at /api/v1, /ws, health probes,
 * the demo page at / and the account page.
 */
export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // Keep-alive connections are closed when shutting down, so SIGTERM is not held open by idle clients.
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 5000 },
    // request.ip (rate limits, audit) believes X-Forwarded-For only from the proxies named here.
    trustProxy: trustProxyOption(platform.config.TRUST_PROXY),
  });
  trackInFlight(app);
  // While shutting down, responses to in-flight requests close their keep-alive connection,
  // so the server drains instead of waiting out idle sockets.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  registerErrorHandler(app);
  registerJsonBody(app);
  // Before every route: a request's API key is checked (and counted) once, up front.
  registerApiKeyAuth(app, platform);
  await registerSecurityHeaders(app, platform.config.NODE_ENV === 'production');
  await registerRateLimits(app, {
    limits: platform.config,
    identity: platform.identity,
    redis: platform.redis,
  });
  registerMemberCors(app, memberOrigins(platform.config));
  registerCsrf(app, {
    secret: platform.config.AUTH_SECRET,
    identity: platform.identity,
    allowedOrigins: memberOrigins(platform.config),
  });
  registerHealthRoutes(app, platform);
  registerAuthRoutes(app, platform.auth, platform.identity, platform.config.PUBLIC_URL);
  registerAccountPage(app);
  registerDemoPage(app, platform);

  await registerKnowledgeUpload(app, platform);
  registerTrpcRoutes(app, platform);
  registerWidgetSession(app, platform);
  registerConversationRoutes(app, platform);
  registerAuditRoute(app, platform);
  registerPrivacyExportRoute(app, platform);
  registerWidgetAsset(app);
  attachGateway(app, platform);
  return app;
}

/** TRUST_PROXY as Fastify takes it: true, a hop count, or a list of addresses and ranges. */
function trustProxyOption(
  value: string | undefined,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (!value) return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(',').map((v) => v.trim());
}
