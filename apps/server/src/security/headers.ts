import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Response headers on every route (helmet): a strict default CSP that pages with inline needs
 * replace with their own, frame-ancestors 'none' (no clickjacking: nothing here is meant to be
 * framed), nosniff, no referrer leaks, and HSTS in production (where PUBLIC_URL is https).
 * widget.js sets its own Cross-Origin-Resource-Policy, since other sites load it.
 */
export async function registerSecurityHeaders(app: FastifyInstance, production: boolean) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // The same as frame-ancestors 'none', for browsers that predate CSP level 2.
    frameguard: { action: 'deny' },
    // JSON and pages of this origin; the widget's script opts out on its own route.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}
