// Reads vitest's JSON report: fails unless the PostgreSQL-backed suites actually ran and passed,
// and prints the plain "N passed, N failed" closing line.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const tests = report.testResults.flatMap((f) => f.assertionResults);
const count = (pred) => tests.filter(pred).length;
const passed = count((t) => t.status === 'passed');
const failed = count((t) => t.status === 'failed');
const skipped = count(
  (t) => t.status === 'skipped' || t.status === 'pending' || t.status === 'todo',
);
const onPostgres = count((t) => t.status === 'passed' && t.fullName.includes('(postgres)'));
const onPglite = count((t) => t.status === 'passed' && t.fullName.includes('(pglite)'));
const problems = [];
if (onPostgres === 0) problems.push('no test ran against PostgreSQL');
if (onPglite === 0) problems.push('no test ran against PGlite');
const throughBouncer = count((t) => t.status === 'passed' && t.fullName.includes('PgBouncer'));
if (process.env.PGBOUNCER_URL && throughBouncer === 0)
  problems.push('the PgBouncer test did not run');
// Redis: the Streams bus contract and the two-instance suite (Redis restart, killed instance).
const onRedis = count((t) => t.status === 'passed' && t.fullName.includes('(redis)'));
const multiInstance = count(
  (t) => t.status === 'passed' && t.fullName.includes('two instances, one Redis'),
);
if (process.env.REQUIRE_REDIS === '1') {
  if (onRedis === 0) problems.push('the Redis Streams bus suite did not run');
  if (multiInstance === 0) problems.push('the two-instance suite did not run');
}
// The widget in a real browser (Chromium through playwright-core).
const inBrowser = count((t) => t.status === 'passed' && t.fullName.includes('(chromium)'));
if (process.env.REQUIRE_BROWSER === '1' && inBrowser === 0)
  problems.push('the browser tests did not run');
if (skipped > 0) problems.push(`${skipped} test(s) were skipped`);
if (failed > 0 || !report.success) problems.push(`${failed} test(s) failed`);
console.log(
  `PostgreSQL-backed: ${onPostgres} passed; PGlite-backed: ${onPglite} passed; via PgBouncer: ${throughBouncer}; Redis bus: ${onRedis}; two instances: ${multiInstance}; in Chromium: ${inBrowser}`,
);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (problems.length) {
  console.error(`CI check failed: ${problems.join('; ')}`);
  process.exit(1);
}
