import { dropPostgresTemplate, preparePostgresTemplate } from '@platform/db/testing';
import { prepareLocalEmbedder } from '@platform/knowledge';

/**
 * With DATABASE_URL set, every suite also runs on PostgreSQL: migrate a template once,
 * and each test file clones its own database from it. REQUIRE_POSTGRES (set by CI) turns
 * a missing DATABASE_URL into a failure instead of a silently skipped suite.
 */
export default async function setup() {
  // The local embedder's word-vector cache: built once here (seconds, first run only), not by
  // every test worker at once.
  await prepareLocalEmbedder();
  const url = process.env.DATABASE_URL;
  if (!url) {
    if (process.env.REQUIRE_POSTGRES === '1')
      throw new Error(
        'REQUIRE_POSTGRES=1 but DATABASE_URL is not set: the PostgreSQL suite would be skipped',
      );
    console.log('[tests] DATABASE_URL not set: running on PGlite only');
    return;
  }
  if (process.env.REQUIRE_REDIS === '1' && !process.env.REDIS_URL)
    throw new Error('REQUIRE_REDIS=1 but REDIS_URL is not set');
  // One template per run (the workers inherit the variable): concurrent runs on one server
  // must not drop each other's.
  process.env.PLATFORM_TEST_TEMPLATE = `platform_test_template_${process.pid}`;
  await preparePostgresTemplate(url);
  console.log('[tests] running on PGlite and PostgreSQL (template migrated)');
  return () => dropPostgresTemplate(url);
}
