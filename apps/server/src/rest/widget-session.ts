import { resolveWidgetSettings } from '@platform/api';
import { keyFingerprint } from '@platform/auth';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform.ts';
import { originAllowed } from '../realtime/origins.ts';
import { allowOrigin, allowPreflight } from './cors.ts';
import { answer, parseInput, RestError, validOrigin } from './http.ts';

const sessionInput = z.strictObject({
  widgetKey: z.string().trim().min(1, { message: 'must not be empty' }).max(200),
  visitorToken: z.string().max(4096).optional(),
  name: z.string().trim().min(1, { message: 'must not be empty' }).max(100).optional(),
});

const WIDGET_SESSION_PATH = '/api/v1/widget/session';

/**
 * `POST /api/v1/widget/session`: the embedded widget trades its public key for a visitor token
 * bound to the widget, its tenant and the page origin, which must be on the widget's
 * allow-list. A genuine earlier token of the same widget (expired or not) keeps the visitor's
 * id, so their conversations survive a reload.
 */
export function registerWidgetSession(app: FastifyInstance, platform: Platform) {
  // The preflight carries no body, so no widget key: it is answered for any web origin, and
  // the POST itself is readable only by origins the widget allows.
  app.options(WIDGET_SESSION_PATH, async (request, reply) => {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (validOrigin(origin)) allowPreflight(reply, origin, 'POST');
    return reply.status(204).send();
  });

  app.post(WIDGET_SESSION_PATH, { bodyLimit: 16 * 1024 }, (request, reply) =>
    answer(reply, async () => {
      reply.header('vary', 'Origin');
      const origin = request.headers.origin;
      if (!origin)
        throw new RestError(
          400,
          'BAD_REQUEST',
          'origin: the widget session is requested from a web page (Origin header)',
          'origin',
        );
      // Refusals are readable by the page too (they hold no credential and say only what curl
      // would), so the widget can tell its visitor why: a wrong key, or a site not allowed.
      if (validOrigin(origin)) allowOrigin(reply, origin);
      const input = parseInput(sessionInput, request.body ?? {});
      const widget = await platform.db.widgetByKey(input.widgetKey);
      if (!widget)
        throw new RestError(
          401,
          'UNAUTHORIZED',
          'widgetKey: unknown or inactive widget',
          'widgetKey',
        );
      if (!originAllowed(origin, widget.allowedOrigins))
        throw new RestError(
          403,
          'FORBIDDEN',
          `origin: ${origin} may not embed this widget`,
          'origin',
        );
      const previous = input.visitorToken
        ? platform.visitorTokens.verifyIgnoringExpiry(input.visitorToken)
        : null;
      const returning =
        previous?.widgetId === widget.widgetId && previous.tenantId === widget.tenantId
          ? previous
          : null;
      const { token, claims } = platform.visitorTokens.issue({
        tenantId: widget.tenantId,
        widgetId: widget.widgetId,
        origin,
        personalityId: widget.personalityId,
        keyId: keyFingerprint(input.widgetKey),
        name: input.name ?? returning?.name ?? null,
        ...(returning ? { visitorId: returning.visitorId } : {}),
      });
      // What the widget shows: its look and words (never its limits, which are the server's).
      const { theme, position, greeting, language } = resolveWidgetSettings(widget.settings);
      return reply.send({
        token,
        expiresAt: new Date(claims.expiresAt * 1000).toISOString(),
        visitorId: claims.visitorId,
        settings: { theme, position, greeting, language },
      });
    }),
  );
}
