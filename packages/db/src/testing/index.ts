export { findIsolationProblems } from './catalog.ts';
export {
  type Driver,
  dropPostgresTemplate,
  openTestDatabase,
  preparePostgresTemplate,
  TEMPLATE_DATABASE,
  type TestDatabase,
  templateDatabase,
  testDrivers,
} from './databases.ts';
