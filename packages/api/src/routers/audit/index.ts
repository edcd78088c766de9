import { router } from '../../trpc.ts';
import { exportCsv } from './export.ts';
import { list } from './list.ts';

/** The organisation's audit log, for owners and admins. */
export const auditRouter = router({ list, export: exportCsv });
