import { ask } from './ask.ts';
import { audit } from './audit.ts';
import type { Command } from './command.ts';
import { costs } from './costs.ts';
import { createTenant } from './create-tenant.ts';
import { ingest } from './ingest.ts';
import { listTenants } from './list-tenants.ts';
import { migrate } from './migrate.ts';
import { route } from './route.ts';
import { search } from './search.ts';

/** Every operator command; later features add theirs here. */
export const commands: Record<string, Command> = {
  migrate,
  'create-tenant': createTenant,
  'list-tenants': listTenants,
  ingest,
  search,
  route,
  costs,
  ask,
  audit,
};
