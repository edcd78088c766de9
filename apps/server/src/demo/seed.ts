import type { Platform } from '../platform.ts';
import { DEMO } from './constants.ts';
import { ingestDemoKnowledge } from './knowledge.ts';
import { ensureDemoTenant } from './tenant.ts';
import { demoWidgetOrigins, ensureDemoWidget, findDemoWidget } from './widget.ts';

export type DemoSeed = {
  widgetKey: string;
  /** False when an earlier start (or another instance) had already seeded it. */
  created: boolean;
};

type Deps = Pick<Platform, 'config' | 'db' | 'auth' | 'knowledge' | 'log'>;

/**
 * First-start demo (DEMO_SEED): the "Acme Demo" organisation with its admin, a sample help
 * centre in its knowledge base and a widget for the page at `/`. The widget is made last, so
 * its presence means the demo is complete and later starts do nothing; an interrupted seed is
 * finished by the next start, every step being safe to repeat and to run on two instances at once.
 */
export async function seedDemo(platform: Deps): Promise<DemoSeed | null> {
  const { config, db, log } = platform;
  if (!config.DEMO_SEED) return null;
  const existing = await findDemoWidget(db);
  if (existing) return { widgetKey: existing, created: false };

  const tenant = await ensureDemoTenant({ ...platform, dataDir: config.dataDir });
  if (!tenant) return null;
  await ingestDemoKnowledge(platform, tenant.tenantId);
  const widgetKey = await ensureDemoWidget(db, tenant.tenantId, demoWidgetOrigins(config));
  if (tenant.passwordFile)
    // The file, never the password: secrets stay out of logs.
    log.info(
      { url: config.PUBLIC_URL, email: DEMO.adminEmail, passwordFile: tenant.passwordFile },
      `demo seeded: sign in at ${new URL('/account', config.PUBLIC_URL)} as ${DEMO.adminEmail} with the password in ${tenant.passwordFile}`,
    );
  return { widgetKey, created: true };
}

/** The seed for main.ts: a failure is logged and the server starts anyway, without the demo. */
export async function seedDemoOrWarn(platform: Deps): Promise<DemoSeed | null> {
  try {
    return await seedDemo(platform);
  } catch (err) {
    platform.log.error({ err }, 'demo seeding failed; / shows the plain start page');
    return null;
  }
}
