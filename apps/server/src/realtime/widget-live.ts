import { keyFingerprint, type VisitorClaims } from '@platform/auth';
import type { Platform } from '../platform.ts';

/**
 * Whether the widget a visitor token was issued for still serves it: it exists, is active, and
 * still has the public key the token was issued for. Deleting, switching off or rotating a
 * widget's key so ends its visitors' sessions too, on every instance within the widget cache's
 * lifetime (a few seconds; see createWidgetSnapshots).
 */
export function createWidgetLiveness(platform: Pick<Platform, 'conversations'>) {
  return async (claims: VisitorClaims): Promise<boolean> => {
    const widget = await platform.conversations.widget(claims.tenantId, claims.widgetId);
    return Boolean(widget?.isActive && keyFingerprint(widget.publicKey) === claims.keyId);
  };
}
