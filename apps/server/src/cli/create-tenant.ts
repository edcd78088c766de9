import { parseArgs } from 'node:util';
import { createOrganization, OrganizationInputError } from '@platform/auth';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { readSecretFromStdin } from './read-stdin.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run platform -- create-tenant --name <name> --owner-email <email> [--owner-name <name>] [--password <password>]

Creates an organisation (its slug derives from the name: "Acme Inc" -> acme-inc) owned by
the given email. A new owner needs a password of 12-128 characters: pass --password, or
leave it out and type it on standard input. An existing account simply becomes the owner.`;

export const createTenant: Command = {
  summary: 'create an organisation and its owner',
  usage,
  async run(args, config) {
    let values: { name?: string; 'owner-email'?: string; 'owner-name'?: string; password?: string };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          name: { type: 'string' },
          'owner-email': { type: 'string' },
          'owner-name': { type: 'string' },
          password: { type: 'string' },
        },
        strict: true,
      }));
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n\n${usage}`);
    }
    if (!values.name?.trim()) throw new UsageError(`--name is required\n\n${usage}`);
    if (!values['owner-email']) throw new UsageError(`--owner-email is required\n\n${usage}`);
    const name = values.name;
    const ownerEmail = values['owner-email'];

    return withPlatform(config, async ({ auth, db }) => {
      const given = values.password;
      const password = () =>
        given !== undefined ? Promise.resolve(given) : readSecretFromStdin('Owner password: ');
      try {
        const org = await createOrganization(auth, db, {
          name,
          ownerEmail,
          ownerName: values['owner-name'],
          password,
        });
        console.log(
          `Created tenant "${name.trim()}" (slug ${org.slug}, id ${org.tenantId}); owner ${ownerEmail}${org.ownerCreated ? ' (new account)' : ' (existing account)'}`,
        );
        return 0;
      } catch (e) {
        if (e instanceof OrganizationInputError) {
          console.error(e.message);
          return 2;
        }
        throw e;
      }
    });
  },
};
