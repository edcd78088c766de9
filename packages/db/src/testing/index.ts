export { findIsolationProblems } from './catalog.ts';
export {
  type Driver,
  openTestDatabase,
  preparePostgresTemplate,
  TEMPLATE_DATABASE,
  type TestDatabase,
  testDrivers,
} from './databases.ts';
