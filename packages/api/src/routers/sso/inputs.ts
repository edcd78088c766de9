import { domainProblem, MAX_METADATA_CHARS, MAX_SSO_DOMAINS } from '@platform/auth';
import { z } from 'zod';

const name = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(100, { message: 'must be at most 100 characters' });
/** The URL policy (https; http for localhost outside production) is checked by the procedure. */
const issuer = z
  .string({ message: 'must be a URL' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(500, { message: 'must be at most 500 characters' });
const clientId = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(500, { message: 'must be at most 500 characters' });
const clientSecret = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(2000, { message: 'must be at most 2000 characters' });

/** Lower-case, valid, no public mailbox provider, no repeats; in the order given. */
const domains = z
  .array(
    z
      .string({ message: 'must be a domain name' })
      .trim()
      .toLowerCase()
      .transform((d) => d.replace(/^@/, ''))
      .superRefine((d, ctx) => {
        const problem = domainProblem(d);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    { message: 'must be a list of domain names' },
  )
  .min(1, { message: 'must name at least one domain' })
  .max(MAX_SSO_DOMAINS, { message: `must name at most ${MAX_SSO_DOMAINS} domains` })
  .transform((list) => [...new Set(list)]);

/** Where people who sign in for the first time join; never owner. */
const defaultRole = z.enum(['viewer', 'member', 'admin'], {
  message: 'must be viewer, member or admin',
});

/** SAML: the IdP's metadata XML (entityID, SSO URL, signing certificates; read by the procedure). */
const samlMetadata = z
  .string({ message: 'must be the identity provider’s SAML metadata XML' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(MAX_METADATA_CHARS, { message: `must be at most ${MAX_METADATA_CHARS} characters` });

const OIDC_ONLY = ['issuer', 'clientId', 'clientSecret'] as const;

/**
 * OpenID Connect (issuer, clientId, clientSecret) or SAML 2.0 (samlMetadata); each protocol's
 * fields are required for it and refused for the other.
 */
export const createInput = z
  .strictObject({
    protocol: z.enum(['oidc', 'saml'], { message: 'must be oidc or saml' }).default('oidc'),
    name,
    issuer: issuer.optional(),
    clientId: clientId.optional(),
    clientSecret: clientSecret.optional(),
    samlMetadata: samlMetadata.optional(),
    domains,
    defaultRole: defaultRole.default('member'),
  })
  .superRefine((input, ctx) => {
    if (input.protocol === 'saml') {
      if (input.samlMetadata === undefined)
        ctx.addIssue({ code: 'custom', path: ['samlMetadata'], message: 'is required for SAML' });
      for (const key of OIDC_ONLY)
        if (input[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'is not used by SAML' });
      return;
    }
    for (const key of OIDC_ONLY)
      if (input[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required' });
    if (input.samlMetadata !== undefined)
      ctx.addIssue({ code: 'custom', path: ['samlMetadata'], message: 'is only for SAML' });
  });

export const updateInput = z
  .strictObject({
    id: z.uuid({ message: 'must be a connection id (UUID)' }),
    name: name.optional(),
    issuer: issuer.optional(),
    clientId: clientId.optional(),
    /** Replaces the stored secret; leave out to keep it. */
    clientSecret: clientSecret.optional(),
    domains: domains.optional(),
    /** SAML connections only: new IdP metadata (e.g. a rotated certificate). */
    samlMetadata: samlMetadata.optional(),
    /**
     * SAML connections only: a new key pair for encrypted assertions (the old one stops
     * working at once; the IdP must import our SP metadata again).
     */
    rotateSpKey: z.literal(true, { message: 'must be true (or left out)' }).optional(),
    defaultRole: defaultRole.optional(),
    enabled: z.boolean({ message: 'must be true or false' }).optional(),
  })
  .refine((input) => Object.keys(input).length > 1, {
    message: 'name at least one thing to change',
    path: ['id'],
  });

export const removeInput = z.strictObject({
  id: z.uuid({ message: 'must be a connection id (UUID)' }),
});

export type CreateInput = z.infer<typeof createInput>;
export type UpdateInput = z.infer<typeof updateInput>;
